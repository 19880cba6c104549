import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface PipelineTablesProps {
  readonly encryptionKey: IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The cost ledger (a public interface: finance queries it, see docs/finance.md) and the runtime state
 * table (result cache, circuit breakers, budget reservations) with TTL.
 */
export class PipelineTables extends Construct {
  readonly ledger: TableV2;
  readonly state: TableV2;

  constructor(scope: Construct, id: string, props: PipelineTablesProps) {
    super(scope, id);
    const common = {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.customerManagedKey(props.encryptionKey),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      deletionProtection: true,
    };
    this.ledger = new TableV2(this, 'Ledger', {
      ...common,
      globalSecondaryIndexes: [
        {
          indexName: 'byPeriod',
          partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
        },
      ],
    });
    this.state = new TableV2(this, 'State', {
      ...common,
      timeToLiveAttribute: 'ttl',
      globalSecondaryIndexes: [
        {
          // Sparse: only open budget reservations carry these, so the scheduled sweep reads just them.
          indexName: 'byExpiry',
          partitionKey: { name: 'sweepPk', type: AttributeType.STRING },
          sortKey: { name: 'sweepSk', type: AttributeType.STRING },
        },
      ],
    });
  }
}
