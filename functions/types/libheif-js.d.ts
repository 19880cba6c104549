/** libheif-js ships no types for its wasm bundle; functions/media/heic.ts declares the part it uses. */
declare module 'libheif-js/wasm-bundle.js' {
  const factory: unknown;
  export default factory;
}
