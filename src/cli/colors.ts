import chalk from 'chalk';

/** Colour only on a TTY, never when NO_COLOR is set (https://no-color.org), unless FORCE_COLOR asks for it. */
export function configureColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): void {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  if (noColor || (!stream.isTTY && !forced)) chalk.level = 0;
}

export { chalk };
