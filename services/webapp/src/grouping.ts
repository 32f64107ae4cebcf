/**
 * Items grouped by a key, each group in the items' order, built by appending: one pass, each item
 * touched once. The webapp's groupers (the host tree, a host page's categories, a view's right
 * axis, a view's series per plugin) use it instead of copying a group's list for every item added,
 * which is quadratic in the size of a group (10,000 hosts in one group of the host tree).
 */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
