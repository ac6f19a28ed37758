import { sql, type Kysely, type Migration } from 'kysely'
import type { Dialect } from './database'

/**
 * The audit log (server/audit/log.ts), append-only down to the database: triggers refuse every UPDATE and
 * DELETE of its rows, whatever code or person sends one. And the server's Ed25519 key (server/evidence/
 * server-key.ts), one row shared by every server on this database, made by the first that starts.
 */
export const migration0010 = (dialect: Dialect): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'integer', (c) =>
        dialect === 'postgres' ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
      )
      .addColumn('at', 'varchar(32)', (c) => c.notNull())
      .addColumn('actor_id', 'varchar(64)')
      .addColumn('client_id', 'varchar(64)')
      .addColumn('action', 'varchar(32)', (c) => c.notNull())
      .addColumn('target_kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('target_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute()
    await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target_id', 'id']).execute()
    await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor_id', 'id']).execute()
    if (dialect === 'postgres') {
      await sql`
        create function audit_log_append_only() returns trigger language plpgsql as $$
        begin
          raise exception 'audit_log is append-only';
        end
        $$`.execute(db)
      await sql`
        create trigger audit_log_no_change before update or delete on audit_log
        for each statement execute function audit_log_append_only()`.execute(db)
      await sql`
        create trigger audit_log_no_truncate before truncate on audit_log
        for each statement execute function audit_log_append_only()`.execute(db)
    } else {
      await sql`
        create trigger audit_log_no_update before update on audit_log
        begin select raise(abort, 'audit_log is append-only'); end`.execute(db)
      await sql`
        create trigger audit_log_no_delete before delete on audit_log
        begin select raise(abort, 'audit_log is append-only'); end`.execute(db)
    }

    await db.schema
      .createTable('server_keys')
      .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
      .addColumn('algorithm', 'varchar(16)', (c) => c.notNull())
      .addColumn('public_key_pem', 'text', (c) => c.notNull())
      .addColumn('private_key_pem', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .execute()
  },
})
