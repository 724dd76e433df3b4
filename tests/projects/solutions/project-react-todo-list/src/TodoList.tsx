export interface Item {
  id: number;
  text: string;
  done: boolean;
}

export function TodoList({ items }: { items: Item[] }) {
  if (items.length === 0) return <p className="empty">Nothing to do</p>;
  const left = items.filter((item) => !item.done).length;
  return (
    <>
      <ul>
        {items.map((item) => (
          <li key={item.id} className={item.done ? "done" : undefined}>
            {item.text}
          </li>
        ))}
      </ul>
      <p className="remaining">{left} left</p>
    </>
  );
}
