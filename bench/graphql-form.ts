/**
 * A GraphQL multipart request (the graphql-multipart-request spec that graphql-yoga serves): the
 * `operations` part with each upload's variable set to null, the `map` part, then one part per file.
 * Shared by the benchmarks and the test clients.
 */

export interface FilePart {
  bytes: Uint8Array;
  name?: string;
  type?: string;
}

/** `files` maps a variable path to its upload: `probe` for a variable, `images.0` for an element of a list variable. */
export function graphqlForm(query: string, variables: Record<string, unknown>, files: Record<string, FilePart | Uint8Array>): FormData {
  const vars = structuredClone(variables);
  const map: Record<string, string[]> = {};
  const paths = Object.keys(files);
  paths.forEach((p, i) => {
    const [name, index] = p.split('.') as [string, string | undefined];
    if (index === undefined) vars[name] = null;
    else ((vars[name] ??= []) as unknown[])[Number(index)] = null;
    map[String(i)] = [`variables.${p}`];
  });
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: vars }));
  form.append('map', JSON.stringify(map));
  paths.forEach((p, i) => {
    const value = files[p]!;
    const file = value instanceof Uint8Array ? { bytes: value } : value;
    // A copy: Blob wants an ArrayBuffer-backed view, and the caller's bytes may be a Buffer's slice.
    form.append(String(i), new Blob([new Uint8Array(file.bytes)], { type: file.type ?? 'image/jpeg' }), file.name ?? `${p}.jpg`);
  });
  return form;
}

/** The form encoded once, for load generators that send the same body many times. */
export async function encodeForm(form: FormData): Promise<{ body: Buffer<ArrayBuffer>; contentType: string }> {
  const encoded = new Response(form);
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}
