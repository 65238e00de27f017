/**
 * Freezes a JSON value and everything in it (iteratively: no recursion-depth limit). A
 * cached principal is shared by every request that presents the same token, so no request
 * may change it for the others.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const stack: object[] = [value];
  let v: object | undefined;
  while ((v = stack.pop()) !== undefined) {
    Object.freeze(v);
    // Index and for-in loops: no per-object array of values on the verification path.
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const c: unknown = v[i];
        if (typeof c === 'object' && c !== null && !Object.isFrozen(c)) stack.push(c);
      }
    } else {
      for (const k in v) {
        const c: unknown = (v as Record<string, unknown>)[k];
        if (typeof c === 'object' && c !== null && !Object.isFrozen(c)) stack.push(c);
      }
    }
  }
  return value;
}
