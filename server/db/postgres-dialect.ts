/**
 * PostgreSQL as Kysely's own dialect, except that the database's introspection looks at one schema only.
 *
 * Kysely's migrator asks the introspector whether its tables exist, and Kysely's PostgreSQL introspector reads every
 * schema in the database, calling `has_schema_privilege(name, …)` on each name it found. When another server or
 * test drops its schema between PostgreSQL reading the catalogue and that call, the call fails with "schema … does
 * not exist" and the migration, and so the server's start, fails for a schema it never touched. The scoped
 * introspector reads only the schema the store lives in (the one it was given, or `current_schema()`), so what
 * others do to theirs cannot fail it; and a database holding many schemas is not read whole at every start.
 */
import {
  PostgresDialect,
  PostgresIntrospector,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  type Kysely,
  type PostgresDialectConfig,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely'

interface ColumnRow {
  column: string
  not_null: boolean
  has_default: boolean
  table: string
  table_type: string
  schema: string
  type: string
  type_schema: string
  column_description: string | null
  auto_incrementing: string | null
}

const MIGRATION_TABLES = ['kysely_migration', 'kysely_migration_lock']

export class OwnSchemaIntrospector implements DatabaseIntrospector {
  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the catalogue is not in the app's schema types
    private readonly db: Kysely<any>,
    private readonly schema?: string,
  ) {}

  /** Every schema's name: reading `pg_namespace` alone calls nothing on the names, so it cannot fail this way. */
  getSchemas(): Promise<SchemaMetadata[]> {
    return new PostgresIntrospector(this.db).getSchemas()
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    const own = this.schema === undefined ? sql<string>`current_schema()` : sql<string>`${this.schema}`
    let query = this.db
      .selectFrom('pg_catalog.pg_attribute as a')
      .innerJoin('pg_catalog.pg_class as c', 'a.attrelid', 'c.oid')
      .innerJoin('pg_catalog.pg_namespace as ns', 'c.relnamespace', 'ns.oid')
      .innerJoin('pg_catalog.pg_type as typ', 'a.atttypid', 'typ.oid')
      .innerJoin('pg_catalog.pg_namespace as dtns', 'typ.typnamespace', 'dtns.oid')
      .select([
        'a.attname as column',
        'a.attnotnull as not_null',
        'a.atthasdef as has_default',
        'c.relname as table',
        'c.relkind as table_type',
        'ns.nspname as schema',
        'typ.typname as type',
        'dtns.nspname as type_schema',
        sql<string | null>`col_description(a.attrelid, a.attnum)`.as('column_description'),
        sql<
          string | null
        >`pg_get_serial_sequence(quote_ident(ns.nspname) || '.' || quote_ident(c.relname), a.attname)`.as(
          'auto_incrementing',
        ),
      ])
      .where('ns.nspname', '=', own)
      .where('c.relkind', 'in', ['r', 'v', 'p'])
      .where('a.attnum', '>=', 0)
      .where('a.attisdropped', '!=', true)
      .orderBy('c.relname')
      .orderBy('a.attnum')
    if (!options.withInternalKyselyTables) query = query.where('c.relname', 'not in', MIGRATION_TABLES)
    const rows = (await query.execute()) as ColumnRow[]
    const tables = new Map<
      string,
      { name: string; schema: string; isView: boolean; columns: TableMetadata['columns'][number][] }
    >()
    for (const row of rows) {
      let table = tables.get(row.table)
      if (!table) {
        table = { name: row.table, schema: row.schema, isView: row.table_type === 'v', columns: [] }
        tables.set(row.table, table)
      }
      table.columns.push({
        name: row.column,
        dataType: row.type,
        dataTypeSchema: row.type_schema,
        isNullable: !row.not_null,
        hasDefaultValue: row.has_default,
        isAutoIncrementing: row.auto_incrementing !== null,
        ...(row.column_description === null ? {} : { comment: row.column_description }),
      })
    }
    return [...tables.values()]
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) }
  }
}

/** Kysely's `PostgresDialect` whose introspection (and so whose migrator) sees only `schema`, or `current_schema()`. */
export class OwnSchemaPostgresDialect extends PostgresDialect {
  constructor(
    config: PostgresDialectConfig,
    private readonly schema?: string,
  ) {
    super(config)
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as Kysely's own signature
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db, this.schema)
  }
}
