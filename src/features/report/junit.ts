/**
 * The report as JUnit XML, the shape CI systems read (Jenkins, GitLab, GitHub test reporters): one
 * <testsuite> per suite (`wmon.slo`, `wmon.alerts`), one <testcase> per SLO or threshold; a breach is a
 * <failure> whose `type` is its severity, nothing to judge is <skipped>.
 */
import type { ReportJson, ReportTestCaseJson } from '../../results.js';

function attr(s: string): string {
  return s.replace(
    /[<>&"'\n\r\t]/g,
    (c) =>
      ({
        '<': '&lt;',
        '>': '&gt;',
        '&': '&amp;',
        '"': '&quot;',
        "'": '&apos;',
        '\n': '&#10;',
        '\r': '&#13;',
        '\t': '&#9;',
      })[c] ?? c,
  );
}

function text(s: string): string {
  return s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] ?? c);
}

const SUITES: ReadonlyArray<readonly [ReportTestCaseJson['suite'], string]> = [
  ['slo', 'wmon.slo'],
  ['alerts', 'wmon.alerts'],
];

function testcase(c: ReportTestCaseJson, classname: string): string {
  const open = `    <testcase classname="${attr(classname)}" name="${attr(c.name)}" time="0">`;
  if (c.status === 'failed') {
    return `${open}\n      <failure type="${attr(c.severity)}" message="${attr(c.message)}">${text(`${c.message}\nvalue: ${c.value ?? 'none'}${c.unit ? ` ${c.unit}` : ''}\nthreshold: ${c.threshold ?? 'none'}`)}</failure>\n    </testcase>`;
  }
  if (c.status === 'no_data') return `${open}\n      <skipped message="${attr(c.message)}"/>\n    </testcase>`;
  return `${open}\n      <system-out>${text(c.message)}</system-out>\n    </testcase>`;
}

export function toJunit(r: ReportJson): string {
  const count = (cases: readonly ReportTestCaseJson[]) => ({
    tests: cases.length,
    failures: cases.filter((c) => c.status === 'failed').length,
    skipped: cases.filter((c) => c.status === 'no_data').length,
  });
  const all = count(r.testCases);
  const suites = SUITES.map(([suite, name]) => {
    const cases = r.testCases.filter((c) => c.suite === suite);
    const n = count(cases);
    return [
      `  <testsuite name="${name}" tests="${n.tests}" failures="${n.failures}" errors="0" skipped="${n.skipped}" time="0" timestamp="${attr(r.generatedAt.replace(/\.\d+Z$/, ''))}" hostname="${attr(r.project)}">`,
      '    <properties>',
      `      <property name="project" value="${attr(r.project)}"/>`,
      `      <property name="environment" value="${attr(r.environment)}"/>`,
      `      <property name="window" value="${attr(r.window)}"/>`,
      `      <property name="from" value="${attr(r.from)}"/>`,
      `      <property name="to" value="${attr(r.to)}"/>`,
      '    </properties>',
      ...cases.map((c) => testcase(c, name)),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="wmon report ${attr(r.project)}" tests="${all.tests}" failures="${all.failures}" errors="0" skipped="${all.skipped}" time="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
