/**
 * Freezes a JSON value and everything in it (iteratively: no recursion-depth limit). A
 * cached principal is shared by every request that presents the same token, so no request
 * may change it for the others.
 */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const child of Object.values(v)) stack.push(child);
  }
  return value;
}
