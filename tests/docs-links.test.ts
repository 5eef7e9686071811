// The README and the guides in docs/ link to each other by path and heading: a moved file or a
// renamed heading would leave a newcomer at a dead link, so every relative link is followed here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The anchors GitHub gives a Markdown file's headings (outside code blocks). */
function anchors(path: string): Set<string> {
  const slugger = new GithubSlugger();
  const text = readFileSync(path, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slugger.slug(m[1].replace(/`/g, ''))));
}

/** Relative links of a Markdown file, outside code: [text](target). */
function links(path: string): string[] {
  const text = readFileSync(path, 'utf8').replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/i.test(t));
}

describe('links between the README and the guides', () => {
  it.each(pages)('%s links only to files and headings that exist', (page) => {
    const from = join(root, page);
    const dead: string[] = [];
    for (const target of links(from)) {
      const [file, anchor] = target.split('#');
      const to = file ? join(dirname(from), file) : from;
      if (!existsSync(to)) dead.push(`${target} (no file ${relative(root, to)})`);
      else if (anchor && to.endsWith('.md') && !anchors(to).has(anchor)) dead.push(`${target} (no heading)`);
    }
    expect(dead).toEqual([]);
  });

  it('finds the links it checks', () => {
    // The README's guide links and at least one heading anchor: a pattern that matched nothing would pass above.
    expect(links(join(root, 'README.md'))).toEqual(expect.arrayContaining(['docs/cli.md', 'docs/embedding.md#hosting-the-demo-npm-run-build--dist']));
  });
});
