import { Module } from '@nestjs/common';

/** AI SDK models for the Claude Code and Codex CLIs, the improving agent, chat completions. */
@Module({})
export class IntegrationsModule {}
