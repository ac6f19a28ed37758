import js from '@eslint/js'
import pluginVue from 'eslint-plugin-vue'
import globals from 'globals'
import tseslint from 'typescript-eslint'
import prettier from 'eslint-config-prettier/flat'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'public/data/**', 'coverage/**', '.bench/**'] },
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
  // Layout is Prettier's (`npm run format`); the rules above that would fight it are turned off.
  prettier,
)
