/**
 * A port or client built on its first call and kept, so a function loads a client (and its SDK) only when
 * an item needs it: most images have no text for OCR, most items are no audio, few cross a budget
 * threshold. A failed build is tried again on the next call.
 */
export function onFirstUse<T>(create: () => Promise<T>): () => Promise<T> {
  let created: Promise<T> | undefined;
  return () => {
    created ??= create().catch((error: unknown) => {
      created = undefined;
      throw error;
    });
    return created;
  };
}
