import { Injectable } from '@nestjs/common';
import type { ImprovementCandidateEntity } from '@seed/code-store';
import { ImprovementRunsRepository } from './improvement-runs.repository.js';
import { normalisedHash } from './normalise.js';

/** Which of the module's recent versions has this normalised source (ShinkaEvolve's check), by its seq. */
@Injectable()
export class ArchivedSources {
  /** Normalised hashes of versions, by version id: sources never change. */
  private readonly hashes = new Map<string, string>();

  constructor(private readonly runs: ImprovementRunsRepository) {}

  async versionWith(moduleId: string, hash: string): Promise<number | null> {
    for (const v of await this.runs.recentSources(moduleId)) {
      let known = this.hashes.get(v.id);
      if (!known) {
        known = await normalisedHash(v.source);
        this.hashes.set(v.id, known);
      }
      if (known === hash) return v.seq;
    }
    return null;
  }
}

/**
 * The normalised sources the candidates of one round proposed, so two alike are evaluated once: the first to
 * claim a source keeps it, a later one is a duplicate of it. A resumed round starts from the candidates it
 * recorded. Claims are synchronous, so candidates generated at once cannot both win.
 */
export class RoundSources {
  private readonly claimed = new Map<string, number>();

  constructor(
    recorded: ReadonlyArray<Pick<ImprovementCandidateEntity, 'index' | 'normalisedSha256' | 'status'>>,
  ) {
    for (const c of recorded)
      if (c.normalisedSha256 && c.status !== 'duplicate' && !this.claimed.has(c.normalisedSha256))
        this.claimed.set(c.normalisedSha256, c.index);
  }

  /** Null when `index` is the first with this source; else the index of the candidate that was. */
  claim(hash: string, index: number): number | null {
    const earlier = this.claimed.get(hash);
    if (earlier !== undefined && earlier !== index) return earlier;
    this.claimed.set(hash, index);
    return null;
  }
}
