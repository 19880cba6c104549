/**
 * Reads acknowledgements and cdk-nag findings off a synthesized construct tree, for the nag tests: what
 * the five packs still report, what each acknowledgement suppresses, and which suppress nothing.
 */
import { Validations } from 'aws-cdk-lib';
import type { NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { nagPacks } from '../../infra/nag.js';

export interface Finding {
  readonly ruleId: string;
  readonly resourcePath: string;
}

export interface Acknowledgement {
  readonly ruleId: string;
  readonly reason: string;
  readonly constructPath: string;
}

function findings(scope: IConstruct, withAcknowledgements: boolean): Finding[] {
  return nagPacks().flatMap((pack: NagPack) => {
    // The packs consult acknowledgements through one method; answering "no" shows every raw finding.
    if (!withAcknowledgements) Object.assign(pack, { isAcknowledged: () => false });
    return pack.validateScope(scope).violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => ({
        ruleId: violation.ruleName,
        resourcePath: resource.constructPath ?? '',
      })),
    );
  });
}

/** What the five packs report with the acknowledgements applied: must be nothing. */
export function unacknowledgedFindings(scope: IConstruct): Finding[] {
  return findings(scope, true);
}

export function acknowledgements(scope: IConstruct): Acknowledgement[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          ruleId: id.replace(/^annotation::/i, ''),
          reason,
          constructPath: construct.node.path,
        })),
      ),
  );
}

/** Each acknowledgement with the resources whose raw findings it suppresses. */
export function acknowledgementCoverage(
  scope: IConstruct,
): { acknowledgement: Acknowledgement; resources: string[] }[] {
  const raw = findings(scope, false);
  return acknowledgements(scope).map((acknowledgement) => ({
    acknowledgement,
    resources: [
      ...new Set(
        raw
          .filter(
            (finding) =>
              finding.ruleId === acknowledgement.ruleId &&
              (finding.resourcePath === acknowledgement.constructPath ||
                finding.resourcePath.startsWith(`${acknowledgement.constructPath}/`)),
          )
          .map((finding) => finding.resourcePath),
      ),
    ],
  }));
}
