import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The author's role becomes a column instead of a prefix parsed out of `author` (`admin:x`, `agent:<model>`).
 * Expand-only, and NOT NULL at once, neither a DEFAULT nor nullable: during a deploy the previous release
 * still inserts versions without `author_role`. A constant DEFAULT would record the wrong role for good
 * (any admin's version marked as an agent's, or an agent's as an admin's, which skips requireApproval), and
 * a NULL would reach the gates of the new release as "not an agent" too. So a BEFORE INSERT trigger fills a
 * missing role from the author, the way the old code derived it; the new code always writes it. The contract
 * step (once no running release omits the column) drops the trigger and its function.
 */
export class ModuleVersionAuthorRole1764200000000 implements MigrationInterface {
  name = 'ModuleVersionAuthorRole1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE module_versions ADD COLUMN author_role text`);
    await runner.query(`
      CREATE FUNCTION module_versions_fill_author_role() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.author_role IS NULL THEN
          NEW.author_role := split_part(NEW.author, ':', 1);
        END IF;
        RETURN NEW;
      END $$`);
    await runner.query(`
      CREATE TRIGGER module_versions_fill_author_role BEFORE INSERT ON module_versions
        FOR EACH ROW EXECUTE FUNCTION module_versions_fill_author_role()`);
    await runner.query(`UPDATE module_versions SET author_role = split_part(author, ':', 1)`);
    await runner.query(`ALTER TABLE module_versions ALTER COLUMN author_role SET NOT NULL`);
    await runner.query(`
      ALTER TABLE module_versions ADD CONSTRAINT module_versions_author_role_check
        CHECK (author_role IN ('admin','agent','viewer','system'))`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TRIGGER module_versions_fill_author_role ON module_versions`);
    await runner.query(`DROP FUNCTION module_versions_fill_author_role()`);
    await runner.query(`ALTER TABLE module_versions DROP COLUMN author_role`);
  }
}
