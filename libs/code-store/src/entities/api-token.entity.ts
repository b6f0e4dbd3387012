import { Check, Column, CreateDateColumn, Entity, PrimaryColumn, Unique } from 'typeorm';
import { ROLES, type Role } from '@seed/config';

/** A token created at runtime (POST /tokens); API_TOKENS are the bootstrap set and never stored. */
@Entity({ name: 'api_tokens' })
@Unique('api_tokens_sha256_key', ['sha256'])
@Check('api_tokens_role_check', `role IN (${ROLES.map((r) => `'${r}'`).join(',')})`)
export class ApiTokenEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'api_tokens_pkey' })
  name!: string;

  @Column({ type: 'text' })
  role!: Role;

  /** The secret's sha256 (hex): the secret itself is shown once and never stored. */
  @Column({ type: 'text' })
  sha256!: string;

  /** The modules it may invoke; null: any. */
  @Column({ type: 'text', array: true, nullable: true })
  modules!: string[] | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Written at most once a minute per node (see RuntimeTokens), so it is accurate to about a minute. */
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
