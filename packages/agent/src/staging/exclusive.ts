/** Runs staging operations one at a time: two at once would fight over nextroot and the images folder. */
let tail: Promise<unknown> = Promise.resolve();

export function exclusive<T>(operation: () => Promise<T>): Promise<T> {
  const result = tail.then(operation, operation);
  tail = result.catch(() => {});
  return result;
}
