/**
 * The account and region the local stack pretends to be in. A module of its own so that the storage
 * threads (s3.ts) can name them without loading the CDK app that template.ts reads.
 */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';
