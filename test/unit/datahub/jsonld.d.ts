// The jsonld package ships no types; the tests use expand() with a document loader only.
declare module 'jsonld' {
  interface RemoteDocument {
    contextUrl: string | null;
    documentUrl: string;
    document: unknown;
  }
  interface Options {
    documentLoader?: (url: string) => Promise<RemoteDocument>;
    safe?: boolean;
  }
  const jsonld: { expand(input: unknown, options?: Options): Promise<Record<string, unknown>[]> };
  export default jsonld;
}
