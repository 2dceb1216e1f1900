// Opens vaultward's HTML report in Debian's chromium (driven by playwright-core) and checks
// what a user does with it: click a blocked cell of the matrix and find its finding open
// and on screen; filter the findings; read the page at 400 px without losing the restore
// column. Screenshots go to OUT_DIR as test artifacts.
//
//   node browser.mjs REPORT.html OUT_DIR
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [report, outDir] = process.argv.slice(2);
if (!report || !outDir) {
  console.error('usage: node browser.mjs REPORT.html OUT_DIR');
  process.exit(2);
}
const url = pathToFileURL(path.resolve(report)).href;
const failures = [];
function check(cond, what) {
  if (cond) {
    console.log(`ok: ${what}`);
  } else {
    console.log(`FAILED: ${what}`);
    failures.push(what);
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  check(requests.length === 0, `self-contained: no request beyond the file (${requests.join(', ')})`);

  // The header.
  const verdict = await page.textContent('#verdict');
  check(['ok', 'blocked', 'unknown'].includes(verdict), `header shows the verdict (${verdict})`);
  const header = await page.textContent('header');
  check(/vaultward \d+\.\d+\.\d+/.test(header), 'header shows the tool version');
  check(/Generated\s*\d{4}-\d\d-\d\dT/.test(header), 'header shows the time');
  check(/Findings: \d+ blocking/.test(header), 'header counts findings per level');
  check(/not backed up/.test(header), 'header shows the objects and bytes at stake');

  // Click a blocked cell: its finding opens and is visible.
  const cells = await page.$$('td.blocked a');
  check(cells.length > 0, `the matrix has blocked cells (${cells.length})`);
  const href = await cells[0].getAttribute('href');
  await cells[0].click();
  await page.waitForFunction((id) => document.getElementById(id)?.open === true, href.slice(1), { timeout: 5000 });
  const target = page.locator(href);
  check(await target.evaluate((d) => d.open), `clicking the blocked cell opens ${href}`);
  check(await target.isVisible(), `${href} is visible`);
  const box = await target.boundingBox();
  check(box && box.y >= -1 && box.y < 900, `${href} is scrolled into view (y=${box && box.y})`);
  check(/Statement/.test(await target.textContent()) || /Decided by/.test(await target.textContent()),
    'the finding shows its deciding policy');
  await page.screenshot({ path: path.join(outDir, 'report-1280-clicked.png'), fullPage: false });

  // A second blocked cell (if any) opens its own finding, not the first one's.
  if (cells.length > 1) {
    const href2 = await cells[cells.length - 1].getAttribute('href');
    check(href2 !== href || cells.length === 1, 'cells link to different findings');
    await cells[cells.length - 1].click();
    await page.waitForFunction((id) => document.getElementById(id)?.open === true, href2.slice(1), { timeout: 5000 });
    check(await page.locator(href2).isVisible(), `${href2} opens and is visible`);
  }

  // Filters: by level, then by code, then by resource text.
  const total = await page.$$eval('details.finding', (d) => d.length);
  await page.selectOption('#f-level', 'warning');
  const warnings = await page.$$eval('details.finding', (ds) => ds.filter((d) => !d.hidden).map((d) => d.dataset.level));
  check(warnings.every((l) => l === 'warning'), `level filter shows only warnings (${warnings.length} of ${total})`);
  await page.selectOption('#f-level', '');
  const code = await page.$eval('#f-code option:nth-child(2)', (o) => o.value);
  await page.selectOption('#f-code', code);
  const codes = await page.$$eval('details.finding', (ds) => ds.filter((d) => !d.hidden).map((d) => d.dataset.code));
  check(codes.length > 0 && codes.every((c) => c === code), `code filter shows only ${code} (${codes.length})`);
  await page.selectOption('#f-code', '');
  await page.fill('#f-resource', 'hd-test');
  const res = await page.$$eval('details.finding', (ds) => ds.filter((d) => !d.hidden).map((d) => d.dataset.resource));
  check(res.length > 0 && res.every((r) => r.includes('hd-test')), `resource filter (${res.length})`);
  // A link to a hidden finding clears the filters and opens it.
  await page.fill('#f-resource', 'no-such-resource');
  await page.evaluate((h) => { location.hash = ''; location.hash = h; }, href);
  await page.waitForFunction((id) => !document.getElementById(id).hidden, href.slice(1), { timeout: 5000 });
  check(await page.locator(href).isVisible(), 'following a link to a filtered-out finding shows it');

  // 400 px: the restore column stays on screen and nothing overflows sideways.
  const narrow = await browser.newPage({ viewport: { width: 400, height: 800 } });
  await narrow.goto(url);
  const restore = await narrow.locator('#matrix thead th:nth-child(3)').boundingBox();
  check(restore && restore.x + restore.width <= 400, `at 400 px the restore column ends within the page (${restore && restore.x + restore.width})`);
  const widths = await narrow.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  check(widths[0] <= widths[1], `at 400 px nothing scrolls sideways (${widths[0]} <= ${widths[1]})`);
  const lastCell = await narrow.locator('#matrix tbody tr:first-child td:last-child').boundingBox();
  check(lastCell && lastCell.x + lastCell.width <= 400, 'at 400 px the first row\'s restore cell is on screen');
  await narrow.screenshot({ path: path.join(outDir, 'report-400.png'), fullPage: true });
  const narrowCell = await narrow.$('td.blocked a');
  await narrowCell.click();
  const nh = await narrowCell.getAttribute('href');
  await narrow.waitForFunction((id) => document.getElementById(id)?.open === true, nh.slice(1), { timeout: 5000 });
  check(await narrow.locator(nh).isVisible(), 'at 400 px a clicked finding is open and visible');
  await narrow.screenshot({ path: path.join(outDir, 'report-400-clicked.png'), fullPage: false });

  check(errors.length === 0, `no script errors (${errors.join('; ')})`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`${failures.length} browser check(s) failed; screenshots in ${outDir}`);
  process.exit(1);
}
console.log(`browser checks passed; screenshots in ${outDir}`);
