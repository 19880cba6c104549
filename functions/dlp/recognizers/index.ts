import { abaRoutingRecognizer } from './aba-routing.js';
import { awsAccessKeyRecognizer } from './aws-access-key.js';
import { awsSecretKeyRecognizer } from './aws-secret-key.js';
import { creditCardRecognizer } from './credit-card.js';
import { dateOfBirthRecognizer } from './date-of-birth.js';
import { emailRecognizer } from './email.js';
import { ibanRecognizer } from './iban.js';
import { ipAddressRecognizer } from './ip-address.js';
import { personNameRecognizer } from './person-name.js';
import { personNameNlpRecognizer } from './person-name-nlp.js';
import { phoneRecognizer } from './phone.js';
import type { Recognizer } from './recognizer.js';
import { usAddressRecognizer } from './us-address.js';
import { usDriverLicenseRecognizer } from './us-driver-license.js';
import { usPassportRecognizer } from './us-passport.js';
import { usSsnRecognizer } from './us-ssn.js';

export type { AnalyzeOptions, Recognizer, RecognizerMatch } from './recognizer.js';

/** Every recognizer the local detector runs. */
export const RECOGNIZERS: readonly Recognizer[] = [
  creditCardRecognizer,
  usSsnRecognizer,
  ibanRecognizer,
  emailRecognizer,
  phoneRecognizer,
  ipAddressRecognizer,
  usPassportRecognizer,
  usDriverLicenseRecognizer,
  dateOfBirthRecognizer,
  abaRoutingRecognizer,
  awsAccessKeyRecognizer,
  awsSecretKeyRecognizer,
  personNameRecognizer,
  personNameNlpRecognizer,
  usAddressRecognizer,
];
