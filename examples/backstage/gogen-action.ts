// A Backstage scaffolder action that runs gogen with no terminal: it writes the form's
// answers to a JSON file and calls `gogen new <blueprint> <dir> --no-input --answers <file>
// --json --no-git`. gogen validates every answer itself (the form's schema is a convenience),
// and its exit code and JSON result are passed back to the scaffolder.
//
// Register it in your backend with `scaffolderActionsExtensionPoint.addActions(createGogenNewAction())`.
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function createGogenNewAction() {
  return createTemplateAction<{ blueprint: string; answers: Record<string, unknown> }>({
    id: 'gogen:new',
    description: 'Generates a Go project with gogen into the workspace',
    schema: {
      input: {
        type: 'object',
        required: ['blueprint', 'answers'],
        properties: {
          blueprint: { type: 'string', description: 'A gogen blueprint name, folder or git source' },
          answers: { type: 'object', description: 'Answers, as `gogen info <blueprint> --schema` describes' },
        },
      },
    },
    async handler(ctx) {
      const scratch = await mkdtemp(join(tmpdir(), 'gogen-answers-'));
      try {
        const answersFile = join(scratch, 'answers.json');
        // Drop empty optional fields so gogen's own defaults apply.
        const answers = Object.fromEntries(
          Object.entries(ctx.input.answers).filter(([, v]) => v !== '' && v !== undefined),
        );
        await writeFile(answersFile, JSON.stringify(answers));
        // execFile, not a shell: no answer is ever parsed as a command.
        const { stdout } = await run(
          'gogen',
          ['new', ctx.input.blueprint, join(ctx.workspacePath, 'project'),
           '--no-input', '--no-git', '--json', '--answers', answersFile],
          { env: { ...process.env, NO_COLOR: '1' } },
        );
        const result = JSON.parse(stdout);
        ctx.logger.info(`gogen wrote ${result.files.length} files from ${result.blueprint.name} ${result.blueprint.version}`);
        ctx.output('files', result.files.length);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
  });
}
