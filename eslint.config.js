import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'
import tseslint from 'typescript-eslint'
import prettier from 'eslint-config-prettier/flat'

export default tseslint.config(
  { ignores: ['dist/**', 'dist-server/**', 'node_modules/**', 'public/data/**', 'coverage/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, __APP_BUILD__: 'readonly' } },
    rules: {
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // What may import what (docs/architecture.md). The kernel is the one part of src/ the server imports,
  // and it imports nothing of the app, the phone's libraries or the server.
  {
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+src/(?!kernel/)',
              message: 'The server imports only src/kernel/ of the phone code (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/kernel/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['vue', 'vue-router', 'vue-i18n', 'pinia', 'dexie', 'fastify', 'kysely'].map((name) => ({
            name,
            message: 'The kernel is plain TypeScript shared by phone and server (docs/architecture.md).',
          })),
          patterns: [
            {
              regex: '^(@/|\\.\\./\\.\\./|\\.\\./(?!kernel/))',
              message: 'The kernel imports only the kernel (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  // Pages and components read the phone's data through named composables (src/composables/) and stores, never
  // the database itself; its row types they may name.
  {
    files: ['src/components/**/*.{ts,vue}', 'src/pages/**/*.{ts,vue}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(@/|(\\.\\./)+)db/',
              allowTypeImports: true,
              message:
                'Read and write through a composable (src/composables/) or a store; import only types from src/db/.',
            },
          ],
        },
      ],
    },
  },
  // The sync engine reaches storage only through the SyncStorage it is handed (src/sync/storage.ts), so tests
  // can run it in memory; and the database knows nothing of sync.
  {
    files: ['src/sync/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(@/|\\.\\./)db/',
              allowTypeImports: true,
              message: 'The sync engine uses the SyncStorage it is given; import only types from src/db/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/db/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(@/|\\.\\./)sync/',
              message: 'The database does not know the sync engine: the engine depends on storage, not the other way.',
            },
          ],
        },
      ],
    },
  },
  // Layout is Prettier's (`npm run format`); the rules above that would fight it are turned off.
  prettier,
)
