// What the approval route specs (calls-api.ts, proposals-api.ts, reviews-api.ts) have in common:
// a page of items, the error answers beyond the shared ones, and the staff roles.
import * as z from 'zod/mini';
import { ErrorSchema } from '../shared/http/schemas';

export const Page = <T extends z.ZodMiniType>(item: T) => z.object({ items: z.array(item), nextToken: z.optional(z.string()) });
export const NOT_FOUND = { 404: { description: 'No such item, or not one the caller may see', schema: ErrorSchema } };
export const CONFLICT = { 409: { description: 'The item is not in a state that allows this', schema: ErrorSchema } };
export const RULE = { 422: { description: 'A rule refuses it; details name each problem', schema: ErrorSchema } };

export const STAFF = ['chair', 'admin', 'auditor'] as const;
