// Schemas shared by every API: the error shape, pagination, ids.
import * as z from 'zod/mini';

export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), problem: z.string() })),
  }),
});

export const NextTokenQuery = z.optional(z.string().check(z.minLength(1), z.maxLength(2048)));
export const LimitQuery = z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(200)));

export const IdParam = (name: string) => z.strictObject({ [name]: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)) });

export const ERROR_RESPONSES = {
  400: { description: 'The request is invalid; details name each field and problem', schema: ErrorSchema },
  401: { description: 'No valid bearer token', schema: ErrorSchema },
  403: { description: 'The caller may not do this', schema: ErrorSchema },
};
