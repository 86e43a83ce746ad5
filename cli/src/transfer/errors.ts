// Why a transfer step failed, in words for the user: a network error's cause, S3's error code.

export const reasonOf = (e: unknown) => {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
};
export const s3Code = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? text.trim().slice(0, 120);
