// aws-xray-sdk-core (under the Powertools tracer) requires all of semver (28 KB minified) for one
// `semver.gte(AWS.VERSION, '2.7.15')` in its SDK v2 patcher, which we never call (we use SDK v3). Lambda
// bundles get this instead (infra/bundling.ts): the same answer for release versions, pre-release tags ignored.
function parts(version) {
  return String(version)
    .split('-')[0]
    .split('.')
    .map((part) => Number(part) || 0);
}

module.exports = {
  gte(a, b) {
    const [x, y] = [parts(a), parts(b)];
    for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
    return true;
  },
};
