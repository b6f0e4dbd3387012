import { z } from 'zod';

/**
 * The OpenAI chat completions request, the part we honour; unknown fields (n, user, logprobs, …) are
 * ignored, as OpenAI-compatible servers do.
 */
const textPart = z.object({ type: z.literal('text'), text: z.string() });

const chatMessageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart)]).nullable(),
  name: z.string().max(64).optional(),
});

export const chatCompletionRequestSchema = z
  .object({
    /** `<provider>[:<model>]`: claude-cli, claude-cli:sonnet, codex-cli:<model>, anthropic:<model>, …; AGENT_MODEL when absent. */
    model: z.string().trim().min(1).max(256).optional(),
    messages: z.array(chatMessageSchema).min(1).max(1000),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    max_tokens: z.number().int().min(1).optional(),
    max_completion_tokens: z.number().int().min(1).optional(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
    response_format: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('text') }),
        z.object({ type: z.literal('json_object') }),
        z.object({
          type: z.literal('json_schema'),
          json_schema: z.object({
            name: z.string().min(1).max(64),
            description: z.string().optional(),
            schema: z.record(z.string(), z.unknown()).optional(),
            strict: z.boolean().nullable().optional(),
          }),
        }),
      ])
      .optional(),
  })
  .refine((body) => body.messages.some((m) => m.role === 'user' || m.role === 'assistant'), {
    message: 'at least one user or assistant message is needed',
    path: ['messages'],
  });

export type ChatCompletionBody = z.infer<typeof chatCompletionRequestSchema>;
