/** A deep copy of plain JSON data (the domain's state objects are JSON by construction). */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
