/** The example's resource: an in-memory list, the same in every example app. */
export interface Item {
  id: number;
  name: string;
}

/** A tiny store shared by the routes of one app. */
export class ItemStore {
  private next = 3;
  private readonly items = new Map<number, Item>([
    [1, { id: 1, name: 'first' }],
    [2, { id: 2, name: 'second' }],
  ]);

  list(): Item[] {
    return [...this.items.values()];
  }

  add(name: unknown): Item {
    const item = { id: this.next++, name: typeof name === 'string' && name !== '' ? name.slice(0, 200) : 'unnamed' };
    this.items.set(item.id, item);
    return item;
  }

  remove(id: string): boolean {
    return this.items.delete(Number(id));
  }
}
