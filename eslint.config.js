// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'contract/dist/**',
      'service/dist/**',
      'node_modules/**',
      '**/node_modules/**',
      '.wmon/**',
      'coverage/**',
      '.cache/**',
      '.tmp/**',
      'data/**',
      '**/data/**',
      'oclif.manifest.json',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // Layers (README "How it works"): imports point one way, down. commands → cli → ops → features → context →
  // adapters → core. Nothing imports a layer above its own, and only the CLI layer shows progress (listr2).
  ...layers([
    ['src/core/**', ['adapters', 'context', 'features', 'ops', 'cli', 'commands']],
    ['src/adapters/**', ['context', 'features', 'ops', 'cli', 'commands']],
    ['src/context.ts', ['features', 'ops', 'cli', 'commands']],
    ['src/features/**', ['ops', 'cli', 'commands']],
    ['src/ops/**', ['cli', 'commands']],
    ['src/cli/**', ['commands']],
  ]),
  {
    files: ['bin/**/*.js', 'scripts/**/*.{js,mjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);

/** One no-restricted-imports rule per layer: the folders (under src/) its files may not import from. */
function layers(rules) {
  return rules.map(([files, above]) => ({
    files: [files],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths:
            files === 'src/cli/**'
              ? []
              : [{ name: 'listr2', message: 'Progress is shown by the CLI layer (src/cli/reporters.ts).' }],
          patterns: [
            {
              regex: `^(\\.\\./)+(${above.join('|')})(/|\\.js$)|^\\.\\./(${above.join('|')})(/|\\.js$)`,
              message: `${files} may not import from a layer above it (${above.join(', ')}): see README "How it works".`,
            },
          ],
        },
      ],
    },
  }));
}
