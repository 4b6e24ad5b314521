#!/usr/bin/env node
// Computes the expected values of Flarelet's JavaScript-semantics tests with JavaScript itself (Node 20, V8 11.3)
// and writes them as JSON vectors next to the tests that read them:
//
//     node scripts/generate-js-vectors.js
//
// The vectors are committed; the Swift tests never run Node. Every run produces the same files (inputs come from
// fixed lists and a seeded generator). Dates are computed in UTC, the time zone of workerd.
'use strict';
process.env.TZ = 'UTC';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const root = path.resolve(__dirname, '..');
function write(relative, value) {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(value, null, 1) + '\n');
    console.log(`${relative}: ${Array.isArray(value) ? value.length + ' cases' : 'written'}`);
}

// A seeded PRNG (mulberry32) so the random cases are stable.
function random(seed) {
    return function () {
        seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const rand = random(13);
const pick = (list) => list[Math.floor(rand() * list.length)];
const int = (n) => Math.floor(rand() * n);

/// A number as text that keeps NaN, the infinities and -0 apart.
function numberText(x) {
    if (Object.is(x, -0)) return '-0';
    return String(x);
}

const vectors = 'Tests/FlareletJavaScriptTests/Vectors';

// MARK: Date.parse

const dateInputs = [
    // From the issue and VoiceMode's clients.
    '2026-11-10t05:13:25z', 'Wed, 02 Dec 2026 16:30:25 GMT', '2026/12/02', '12/02/2026 16:30', 'Dec 02, 2026',
    '2026-12-02T16:30:25+0000', 'Wed Dec 02 2026 16:30:25 GMT+0000 (Coordinated Universal Time)', '0',
    '2026-12-02T16:30:25.123456Z', '2026-12-02T16:30:25.1Z', '2026-12-02T16:30:25Z', '2026-12-02T16:30Z',
    '2026-12-02', '2026-12', '2026', '+002026-12-02T00:00:00Z', '-000000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z',
    '+275760-09-13T00:00:00.000Z', '+275760-09-13T00:00:00.001Z', '-271821-04-20T00:00:00.000Z', '-271821-04-19T23:59:59.999Z',
    '2026-02-30', '2026-02-31T10:00:00Z', '2026-13-01', '2026-00-10', '2026-12-32', '2026-12-02T24:00:00Z',
    '2026-12-02T24:00:01Z', '2026-12-02T23:60:00Z', '2026-12-02T23:59:60Z', '2026-12-02 16:30:25', '2026-12-02T16:30:25',
    '2026-12-02T16:30:25+05:30', '2026-12-02T16:30:25-0800', '2026-12-02T16:30:25+24:00', '2026-12-02T16:30:25+2400',
    '2026-12-02T16:30:25 Z', '2026-12-02T16:30:25z', ' 2026-12-02', '2026-12-02 ', '2026-12-02\u0000garbage',
    '20261202', '20261202T163025Z', '2026-1-2', '2026-01-2', '26-12-02', '99-12-02', '49/12/02', '12/02/49', '12/02/50',
    'Tue Mar 01 2022', 'March 7, 2026 10:00 PM', 'March 7, 2026 10:00 pm EST', 'Sat, 01 Jan 2000 00:00:00 PST',
    '1 January 2026', 'January 1', '2026 January 1', 'Jan 2026', 'Jan', 'Thursday', 'foo 2026', 'foo2026', '2026 foo',
    '(comment) 2026/01/02', '2026/01/02 (comment', '2026/01/02 (a (nested) comment)', '2026/01/02)', '2026/01/02 +',
    '2026/01/02 10:00 +0530', '2026/01/02 10:00 GMT-8', '2026/01/02 10:00 GMT+08:', '2026/01/02 10:00 UTC+1',
    '2026/01/02 10:00 UT', '2026/01/02 10:00 Z', '2026/01/02 10:00 z', '2026/01/02 10:00 CET', '2026/01/02 10:00 MSK',
    '2026/01/02 10:00:00.5', '2026/01/02 10:00:00.123456789', '2026/01/02 10::', '2026/01/02 10:00:', '10:00 2026/01/02',
    '2026/01/02 25:00', '2026/01/02 12:00 AM', '2026/01/02 12:00 PM', '2026/01/02 13:00 PM', '2026/01/02 0:00 am',
    '1/2/3', '1/2', '1', '31', '32', '2026', '99999', '1234567890', '12345678901234', '-1', '+1', '1e3', '0x10', '',
    ' ', 'Z', 'T', 'today', 'now', 'Invalid Date', 'NaN', 'null', 'undefined', '2026-12-02T16:30:25.000Z junk',
    '2026-12-02Tjunk', '2026-12-02T', '2026-12-02T16', '2026-12-02T16:3', '2026-12-02T16:30:2', '2026-12-02T16:30:25.',
    '2026-12-02T16:30:25.Z', '2026-12-02T16:30:25+05', '2026-12-02T16:30:25+5:30', 'Mon, 32 Dec 2026', '02.12.2026',
    '2026.12.02', '2026,12,02', '2026-12-02,10:00', '12-02-2026', 'Dec-02-2026', '02-Dec-2026', '2026-Dec-02',
    'DECEMBER 2, 2026', 'december 2 2026', 'Decembre 2 2026', 'Dezember 2 2026', 'Déc 2 2026', 'ﬁ 2026',
    '2026/12/02\u00a010:00', '2026/12/02\u200310:00', '2026/12/02\t10:00', '2026/12/02\n10:00', '\ufeff2026-12-02',
    '２０２６-12-02', '2026-12-02T16:30:25.999999999999Z', '2026-12-02T16:30:25.0000001Z', '0000-01-01', '0000',
    '9999-12-31T23:59:59.999Z', '1970-01-01T00:00:00Z', '1969-12-31T23:59:59.999Z', '2026/12/02 10:00 -', '-2026',
    '+2026', '2026/12/02 10:00 +123', '2026/12/02 10:00 +12345', '2026/12/02 10:00 +1:', '2026/12/02 10:00 GMT+99999:',
    '2026/12/02 10.00', '2026/12/02 10.00.00', '10.30.2026', 'Dec 25 1995 13:30:00 GMT+0430', '25 Dec 1995 13:30 UTC',
    'Mon Dec 25 1995', '12/25/1995 1:30 PM', '1995-12-25T13:30:00.000+04:30', '1995-12-25T13:30:00.000+0430',
];
const dateWords = ['Jan', 'feb', 'MARCH', 'Sept', 'dec', 'Mon', 'Tue', 'GMT', 'UTC', 'UT', 'Z', 'z', 'T', 'EST', 'PDT',
    'AM', 'pm', 'foo', 'x', 'CET'];
const dateSeparators = [' ', '-', '/', ':', '.', ',', '+', 'T', '(x)', ')', '  ', ''];
function randomDateInput() {
    const parts = [];
    const count = 1 + int(7);
    for (let i = 0; i < count; i++) {
        const kind = int(10);
        if (kind < 5) {
            const length = pick([1, 2, 2, 2, 3, 4, 4, 6, 9]);
            let digits = '';
            for (let j = 0; j < length; j++) digits += String(int(10));
            parts.push(digits);
        } else if (kind < 8) {
            parts.push(pick(dateWords));
        } else {
            parts.push(pick(['+', '-']) + String(int(2400)).padStart(pick([1, 2, 4]), '0'));
        }
        if (i < count - 1) parts.push(pick(dateSeparators));
    }
    return parts.join('');
}
function randomISOInput() {
    const pad = (n, w) => String(n).padStart(w, '0');
    let text = pick(['', '', '', '+00', '-00']) + pad(int(10000), 4);
    if (rand() < 0.9) text += '-' + pad(int(14), 2);
    if (rand() < 0.85) text += '-' + pad(int(33), 2);
    if (rand() < 0.7) {
        text += pick(['T', 't', ' ']) + pad(int(26), 2) + ':' + pad(int(61), 2);
        if (rand() < 0.7) text += ':' + pad(int(61), 2);
        if (rand() < 0.5) text += '.' + String(int(100000000)).slice(0, 1 + int(8));
        text += pick(['', 'Z', 'z', '+01:00', '-0530', '+24:00', '+05', ' GMT', '+00:60']);
    }
    return text;
}
const dateCases = [];
const seenDates = new Set();
for (const input of dateInputs.concat(Array.from({ length: 1500 }, randomDateInput), Array.from({ length: 1500 }, randomISOInput))) {
    if (seenDates.has(input)) continue;
    seenDates.add(input);
    const value = Date.parse(input);
    dateCases.push({ input, expected: Number.isNaN(value) ? null : value });
}
write(`${vectors}/date-parse.json`, dateCases);

// MARK: toISOString

const isoTimes = [0, -1, 1, 86399999, 86400000, -86400000, 1764692425123, 253402300799999, 253402300800000, -62167219200000,
    -62167219200001, 8.64e15, -8.64e15, 1e15, -1e15, 951782400000, 4107542400000];
write(`${vectors}/to-iso-string.json`, isoTimes.map((t) => ({ time: t, expected: new Date(t).toISOString() })));

// MARK: String(), Number(), parseInt

const values = [
    'null', 'true', 'false', '0', '-0', '1', '-1', '1.5', '1e21', '1e-7', '123456789012345680000', '1e400', '-1e400',
    '0.1', '100', '""', '"abc"', '"\\ud800"', '[]', '[null]', '[null,null]', '[1,null,2]', '[[1,2],[3,[4,[null]]]]',
    '[true,false]', '["a","b"]', '[{}]', '{}', '{"a":1}', '{"toString":1}', '[{"toString":1}]', '{"valueOf":1}',
    '[1e400]', '[-0]', '[[[]]]', '[""]', '["",""]', '["\\ud83d","\\ude00"]', '[" 12 "]', '["0x1f"]', '[5]', '[[5]]',
    '"  42  "', '"\\u00a042\\ufeff"', '"\\u0085 42"', '"\\u180e42"', '"1_000"', '"0x1F"', '"0X1f"', '"0o17"', '"0b101"',
    '"0x"', '"-0x10"', '"+0x10"', '"Infinity"', '"-Infinity"', '"+Infinity"', '"infinity"', '"1e3"', '"1E+3"', '".5"',
    '"5."', '"."', '"+"', '"-"', '"+.5e-3"', '"1e"', '"e5"', '"12abc"', '"0x123456789abcdef0123"', '"0b' + '1'.repeat(60) + '"',
    '"0x20000000000001"', '"0x20000000000003"', '"0x20000000000002"', '"0o777777777777777777777"', '"١٢"', '"12\\n"',
    '"9007199254740993"', '"1' + '0'.repeat(400) + '"',
];
write(`${vectors}/to-string.json`, values.map((text) => {
    try {
        return { value: text, expected: String(JSON.parse(text)) };
    } catch (error) {
        return { value: text, error: `${error.name}: ${error.message}` };
    }
}));
write(`${vectors}/to-number.json`, values.map((text) => {
    try {
        return { value: text, expected: numberText(Number(JSON.parse(text))) };
    } catch (error) {
        return { value: text, error: `${error.name}: ${error.message}` };
    }
}));

const parseIntInputs = [
    '', ' ', '0', '-0', '+0', '42', '  42', '\u00a042', '\ufeff42', '\u008542', '\u180e42', '\u200b42', '\u3000 42', '42abc',
    '4 2', '-42', '+42', '--42', '+-42', '0x1f', '0X1F', '-0x1f', '0x', '0xg', '0b101', '0o17', '017', '08', '1e3', '1.9',
    '.5', '12345678901234567890', '123456789012345678901234567890', '9007199254740993', '9007199254740995',
    '1' + '0'.repeat(310), 'ff', 'FF', 'zz', 'Infinity', 'NaN', '١٢', '１２', '12\u0000', 'ab', '-ff', '0x' + 'f'.repeat(20),
    '0x1fffffffffffff', '0x20000000000001', '0x20000000000003', '0x3fffffffffffff8', 'zzzzzzzzzzzzzzzz',
    '0x0x10', '  -0x10', '7fffffffffffffff', '123,45', 'ab,cd', '-1', '1z', 'z1', 'ffx', ',ab',
];
const radices = [undefined, 0, 2, 8, 10, 16, 36, 1, 37, 3, 7, 32, -16, 16.9, 4294967312];
const parseIntCases = [];
for (const input of parseIntInputs) {
    for (const radix of radices) {
        const value = parseInt(input, radix);
        parseIntCases.push({ input, radix: radix === undefined ? null : radix, expected: numberText(value) });
    }
}
write(`${vectors}/parse-int.json`, parseIntCases);

// MARK: + and counters (o[k] = (o[k] || 0) + 1)

const counterKeys = [
    ['a', 'b', 'a'], ['toString'], ['toString', 'toString'], ['constructor', 'valueOf', 'hasOwnProperty'],
    ['__proto__'], ['__proto__', '__proto__', 'x'], ['isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString'],
    ['__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'], ['2', '1', 'b', '10', 'a', '1'],
    ['4294967294', '4294967295', '01', '0'], ['\u00e9', 'e\u0301', '\u00e9'], ['\ud800', '\ud800', '\udc00'],
    ['prototype', 'hasownproperty', 'ToString'], ['', ''], ['undefined', 'null'],
];
write(`${vectors}/counters.json`, counterKeys.map((keys) => {
    const counter = {};
    for (const key of keys) counter[key] = (counter[key] || 0) + 1;
    return { keys, entries: Object.entries(counter) };
}));

// MARK: URL

const urlInputs = [
    'http://127.0.0.1:8787/v1/events', 'http://127.0.0.1:8787/v1/x/../events', 'http://127.0.0.1:8787/v1/./events',
    'http://h/v1/%2e%2E/events', 'http://h/v1/%2e/events', 'http://h/v1/.%2e/x', 'http://h/v1/%2e./x', 'http://h/a/b/..',
    'http://h/a/b/.', 'http://h/a/b/../', 'http://h/..', 'http://h/../../x', 'http://h/a\\b\\..\\c', 'http://h/a//b',
    'http://h', 'http://h?x=1', 'http://h#f', 'http://h/p?q=1#f', 'http://h/a b', 'http://h/ü', 'http://h/%zz',
    'http://h/a%2fb', 'http://h/{}|`^', 'http://h/"<>', "http://h/?a='b'&c=\"d\"", 'http://h/?x=ü', 'HTTP://H.EXAMPLE/X',
    'http://h:80/x', 'https://h:443/x', 'https://h:80/x', 'http://h:0080/x', 'http://h:/x', 'http://h:65536/x',
    'http://h:8a/x', 'http://user:pass@h/x', 'http://@h/x', 'http://a@b@h/x', 'http:/h/x', 'http:h/x', 'http:\\\\h\\x',
    '  http://h/x  ', 'http://h/x\ty\nz', 'http://0x7f.1/', 'http://127.1/', 'http://2130706433/', 'http://0177.0.0.1/',
    'http://256.0.0.1/', 'http://1.2.3.4.5/', 'http://[::1]:8787/x', 'http://[0:0:0:0:0:0:0:1]/', 'http://[1:0:0:2::3:0]/',
    'http://[::ffff:127.0.0.1]/', 'http://[::]/', 'http://[1::]/', 'http://[::1/', 'http://h%41/', 'http://h%2f/',
    'http://a b/', 'http://h/telemetry', 'http://h/x/telemetry?y', 'ftp://h/x', 'ws://h:80/x', 'h/x', '',
    'http://h/a/./b/../../c', 'http://h/%2E%2e%2E', 'http://h/...', 'http://h/.../x', 'http://h/a/..%2f', 'http://h/;a/.;/b',
    'http://example.com/%e2%82%ac?%e2%82%ac#%e2%82%ac', 'http://h/\u0000x', 'http://h/\u007fx', 'http://h/x?a=1&b=2&a=3',
    'http://h/?+a+=+b+&&=x&y&%zz=%41%e2%82%ac&%c3=1', 'http://h/#frag ment`',
];
write(`${vectors}/url.json`, urlInputs.map((input) => {
    let url;
    try { url = new URL(input); } catch { return { input, error: true }; }
    return {
        input, href: url.href, protocol: url.protocol, host: url.host, hostname: url.hostname, port: url.port,
        pathname: url.pathname, search: url.search, hash: url.hash, origin: url.origin,
        searchParams: [...url.searchParams],
    };
}));

// MARK: Fetch: header bytes are Latin-1; request.text() strips one BOM

const headerValues = ['203.0.113.7', 'ünïcode', '日本', '\u00a0x', 'ÿ', '😀', 'a\u0080b'];
write(`${vectors}/header-latin1.json`, headerValues.map((text) => {
    const bytes = [...Buffer.from(text, 'utf8')];
    const latin1 = Buffer.from(bytes).toString('latin1');
    const hash = crypto.createHash('sha256').update(new TextEncoder().encode(latin1)).digest('hex').slice(0, 16);
    return { utf8: text, bytes, latin1, voiceModeIPHash: hash };
}));
const bodies = [[0xEF, 0xBB, 0xBF, 0x7B, 0x7D], [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF, 0x7B, 0x7D], [0xEF, 0xBB], [0x22, 0xFF, 0x22],
    [0xFE, 0xFF, 0x00, 0x7B], [0x7B, 0x7D, 0xEF, 0xBB, 0xBF]];
write(`${vectors}/body-text.json`, bodies.map((bytes) => {
    const text = new TextDecoder().decode(new Uint8Array(bytes));
    let json;
    try { json = { value: JSON.parse(text) }; } catch (error) { json = { error: error.message }; }
    return { bytes, text, json };
}));

// MARK: Runt's hexToBytes and D1 array binding

function hexToBytes(hex) {
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < hex.length; i += 2) bytes[i / 2] = parseInt(hex.slice(i, i + 2), 16);
    return bytes;
}
const signatureValues = [
    '"ab"', '"abc"', '"ABcd"', '"-1ff"', '" 1f2"', '"0x1"', '"1z2y"', '"\\ud83d\\ude00ab"', '"é0"', '"+f-f"',
    '["ab","cd"]', '["ab","cd","ef"]', '[171,205]', '["0xab",null,"ff"]', '[["ab","cd"],"ef"]', '[null,null]',
    '[true,"ff"]', '[{},"ab"]', '["ab,cd","ef"]', '[1.5,2]', '["-1","x"]', '[]', '["f"]', '[["f","f"]]',
];
write(`${vectors}/hex-to-bytes.json`, signatureValues.map((text) => {
    try {
        return { value: text, bytes: [...hexToBytes(JSON.parse(text))] };
    } catch (error) {
        return { value: text, error: `${error.name}: ${error.message}` };
    }
}));
const d1Arrays = ['[0,1,255]', '[255.9,0.5,1.5]', '[-0]', '[256]', '[-1]', '[1e400]', '["1"]', '[true]', '[null]', '[]',
    '[[1]]', '[1,{}]', '[0.0001,254.99999]', '[1,null,2]'];
write(`${vectors}/d1-array-binding.json`, d1Arrays.map((text) => {
    const value = JSON.parse(text);
    const accepted = value.every((b) => typeof b == 'number' && b >= 0 && b < 256);
    if (accepted) return { value: text, blob: Array.from(new Uint8Array(value)) };
    return { value: text, error: `D1_TYPE_ERROR: Type 'object' not supported for value '${value}'` };
}));

// MARK: VoiceMode's timestamp rules (worker.js validatePayload, rules 5-8) at the tests' clock

const voiceModeNow = Date.parse('2026-01-01T00:00:00.000Z');
function timestampRule(text) {
    const dayInMs = 86400000;
    if (!text || typeof text !== 'string') return 'Invalid or missing timestamp';
    const timestamp = new Date(text);
    if (isNaN(timestamp.getTime())) return 'Invalid timestamp format (must be ISO 8601)';
    if (timestamp > new Date(voiceModeNow + dayInMs)) return 'Timestamp too far in the future';
    if (timestamp < new Date(voiceModeNow - (90 * dayInMs))) return 'Timestamp too old (max 90 days)';
    return null;
}
const voiceModeTimestamps = [
    '2025-12-31t05:13:25z', 'Wed, 31 Dec 2025 16:30:25 GMT', '2025/12/31', '12/31/2025 16:30', 'Dec 31, 2025',
    '2025-12-31T16:30:25+0000', 'Wed Dec 31 2025 16:30:25 GMT+0000 (Coordinated Universal Time)', '0', '1', '12/31',
    'December 31', 'Dec 31 2025 4:30 PM EST', '31 Dec 2025 23:59:59 -0800', '2025-12-31T23:59:59.9999999-05:00',
    '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.001Z', '2025-10-03', '2025-10-02T23:59:59.999Z', ' 2025-12-31',
    '2025-12-31 ', '2025-1-5', 'Thu Jan 01 2026', 'January 2, 2026 00:00:01 AM', 'Jan 2, 2026 12:00:01 AM',
].concat(dateInputs);
write('Tests/VoiceModeWorkerTests/Vectors/timestamps.json', [...new Set(voiceModeTimestamps)].map((timestamp) => ({
    timestamp, error: timestampRule(timestamp),
})));

// MARK: Contract fixtures for the root causes (fixtures/<worker>/, format in fixtures/README.md)
//
// Expected bodies, stored rows and KV keys are computed here with JavaScript (JSON.stringify, the upstream
// workers' own logic), so the fixtures hold JavaScript's answers.

function writeFixture(folder, file, value) {
    const target = path.join(root, 'fixtures', folder, file);
    fs.writeFileSync(target, JSON.stringify(value, null, 2) + '\n');
    console.log(`fixtures/${folder}/${file}`);
}
const voiceModeCORS = {
    'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '86400',
};
const seedEnvironment = { os: 'Linux', version: '1.0.0', installation_method: 'uv', mcp_host: 'claude-code', execution_source: 'mcp' };
function voiceModeEvent(fields) {
    return Object.assign({ event_id: '{{eid}}', telemetry_id: '{{tid}}', timestamp: '{{now - 1 hour}}', environment: seedEnvironment,
        usage: { total_sessions: 1 } }, fields);
}
const voiceModeLets = { eid: '{{uuid}}', tid: '{{uuid}}' };
function voiceModeIPHash(ip) {
    return crypto.createHash('sha256').update(new TextEncoder().encode(ip)).digest('hex').slice(0, 16);
}

// Cause 1: canonically equivalent keys are two keys.
{
    const usage = JSON.parse('{"total_sessions":1,"\u00e9":1,"e\u0301":2,"\u00e9":3}');
    writeFixture('voicemode', '60-cause1-canonically-equivalent-keys.json', {
        name: 'usage keys "é" (U+00E9) and "é" (e + U+0301) stay two keys, as in JavaScript',
        source: 'issue 13 cause 1; voicemode.md §3 (usage stored as JSON.stringify)',
        let: voiceModeLets,
        request: { method: 'POST', path: '/telemetry', headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': '198.51.100.60' },
            body: JSON.stringify(voiceModeEvent({ usage: '@USAGE@' })).replace('"@USAGE@"', '{"total_sessions":1,"\u00e9":1,"e\u0301":2,"\u00e9":3}') },
        expect: { status: 200, headers: voiceModeCORS, json: { status: 'ok', event_id: '{{eid}}' },
            rows: [{ binding: 'DB', sql: 'SELECT usage FROM events WHERE telemetry_id = ?', params: ['{{tid}}'], equals: [{ usage: JSON.stringify(usage) }] }] },
    });
}
// Cause 2: lone surrogates are kept, echoed and stored as escapes (D1 text gets U+FFFD).
{
    const environment = { os: 'Linux\udc00', version: '1.0.0' };
    writeFixture('voicemode', '61-cause2-lone-surrogates.json', {
        name: 'a lone surrogate in event_id is echoed as \\ud800; environment is stored with the \\udc00 escape',
        source: 'issue 13 cause 2; voicemode.md §3',
        let: voiceModeLets,
        request: { method: 'POST', path: '/telemetry', headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': '198.51.100.61' },
            json: voiceModeEvent({ event_id: '\ud800{{eid}}', environment }) },
        expect: { status: 200, headers: voiceModeCORS, json: { status: 'ok', event_id: '\ud800{{eid}}' },
            rows: [{ binding: 'DB', sql: 'SELECT event_id, environment FROM events WHERE telemetry_id = ?', params: ['{{tid}}'],
                equals: [{ event_id: '\ufffd{{eid}}', environment: JSON.stringify(environment) }] }] },
    });
}
// Cause 3: deep values parse; the validation decides.
{
    const deep = '['.repeat(600) + ']'.repeat(600);
    const usage = `{"total_sessions":1,"deep":${deep}}`;
    writeFixture('voicemode', '62-cause3-deep-usage-600-levels.json', {
        name: 'a usage value nested 600 levels deep is stored (200), as upstream',
        source: 'issue 13 cause 3',
        let: voiceModeLets,
        request: { method: 'POST', path: '/telemetry', headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': '198.51.100.62' },
            body: JSON.stringify(voiceModeEvent({ usage: '@USAGE@' })).replace('"@USAGE@"', '{"total_sessions":1,"deep":{{repeat: 600 "["}}{{repeat: 600 "]"}}}') },
        expect: { status: 200, json: { status: 'ok', event_id: '{{eid}}' },
            rows: [{ binding: 'DB', sql: 'SELECT length(usage) AS n FROM events WHERE telemetry_id = ?', params: ['{{tid}}'],
                equals: [{ n: JSON.stringify(JSON.parse(usage)).length }] }] },
    });
    writeFixture('voicemode', '63-cause3-deep-top-level-array.json', {
        name: 'a top-level array nested 100,000 levels deep fails validation (400), not the parser',
        source: 'issue 13 cause 3',
        request: { method: 'POST', path: '/telemetry', headers: { 'Content-Type': 'application/json' },
            body: '{{repeat: 100000 "["}}{{repeat: 100000 "]"}}' },
        expect: { status: 400, headers: voiceModeCORS, json: { error: 'Invalid or missing event_id' } },
    });
}
// Cause 4: every form V8's Date parser accepts.
{
    const forms = [
        ['64', 'lower-case t and z', '2020-11-10t05:13:25z'],
        ['65', 'RFC 1123 (toUTCString)', 'Wed, 02 Dec 2020 16:30:25 GMT'],
        ['66', 'year/month/day', '2099/12/02'],
        ['67', 'US date and time', '12/02/2099 16:30'],
        ['68', 'month name', 'Dec 02, 2020'],
        ['69', '±hhmm offset', '2099-12-02T16:30:25+0000'],
        ['70', 'Date.prototype.toString()', 'Wed Dec 02 2020 16:30:25 GMT+0000 (Coordinated Universal Time)'],
        ['71', '"0" (the year 2000)', '0'],
        ['72', 'trailing garbage after the zone', '2024-12-14T10:30:00ZZ'],
    ];
    const now = Date.now();
    for (const [number, label, timestamp] of forms) {
        const dayInMs = 86400000;
        const date = new Date(timestamp);
        const error = isNaN(date.getTime()) ? 'Invalid timestamp format (must be ISO 8601)'
            : date > new Date(now + dayInMs) ? 'Timestamp too far in the future'
            : date < new Date(now - 90 * dayInMs) ? 'Timestamp too old (max 90 days)' : null;
        writeFixture('voicemode', `${number}-cause4-timestamp-${label.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()}.json`, {
            name: `timestamp in the ${label} form "${timestamp}" is read by V8's Date parser: ${error}`,
            source: 'issue 13 cause 4; voicemode.md §3 rules 6-8',
            let: voiceModeLets,
            request: { method: 'POST', path: '/telemetry', headers: { 'Content-Type': 'application/json' }, json: voiceModeEvent({ timestamp }) },
            expect: { status: 400, headers: voiceModeCORS, json: { error } },
        });
    }
    writeFixture('voicemode', '73-cause4-timestamp-utc-string-accepted.json', {
        name: 'a timestamp in the toUTCString() form within the window is accepted and stored as sent',
        source: 'issue 13 cause 4',
        let: Object.assign({ ts: '{{utc: now - 2 hours}}' }, voiceModeLets),
        request: { method: 'POST', path: '/telemetry', headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': '198.51.100.73' },
            json: voiceModeEvent({ timestamp: '{{ts}}' }) },
        expect: { status: 200, json: { status: 'ok', event_id: '{{eid}}' },
            rows: [{ binding: 'DB', sql: 'SELECT timestamp FROM events WHERE telemetry_id = ?', params: ['{{tid}}'], equals: [{ timestamp: '{{ts}}' }] }] },
    });
}
// Cause 7: header bytes are Latin-1.
{
    const ip = 'ünïcode';
    const latin1 = Buffer.from(ip, 'utf8').toString('latin1');
    const hash = voiceModeIPHash(latin1);
    writeFixture('voicemode', '74-cause7-latin1-client-ip.json', {
        name: `CF-Connecting-IP "${ip}" sent as UTF-8 is read as Latin-1 "${latin1}": its hash and rate-limit key follow`,
        source: 'issue 13 cause 7; voicemode.md §3 (ip hash)',
        live: true,
        let: voiceModeLets,
        setup: { kv: [{ binding: 'KV', key: `rate:ip:${hash}`, value: '41', expirationTtl: 3600 }] },
        request: { method: 'POST', path: '/telemetry', headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': ip }, json: voiceModeEvent({}) },
        expect: { status: 200, json: { status: 'ok', event_id: '{{eid}}' },
            rows: [{ binding: 'DB', sql: 'SELECT client_ip_hash FROM events WHERE telemetry_id = ?', params: ['{{tid}}'], equals: [{ client_ip_hash: hash }] }],
            kv: [{ binding: 'KV', key: `rate:ip:${hash}`, value: '42' }] },
    });
}

// Drift: the upstream aggregation (index.ts updateAggregateStats) run by Node.
const driftCORS = { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type' };
function driftAggregates(events) {
    const typeCounts = {}; const languageCounts = {}; const categoryCounts = {};
    for (const event of events) {
        typeCounts[event.type] = (typeCounts[event.type] || 0) + 1;
        if (event.type === 'pattern_signature') {
            const lang = event.language; const cat = event.category;
            if (lang) languageCounts[lang] = (languageCounts[lang] || 0) + 1;
            if (cat) categoryCounts[cat] = (categoryCounts[cat] || 0) + 1;
        }
    }
    const rows = [];
    for (const [type, count] of Object.entries(typeCounts)) rows.push([`events:${type}`, count]);
    for (const [lang, count] of Object.entries(languageCounts)) rows.push([`language:${lang}`, count]);
    for (const [cat, count] of Object.entries(categoryCounts)) rows.push([`category:${cat}`, count]);
    return rows;
}
function driftEvent(fields) {
    return Object.assign({ type: 'scan_completion', timestamp: '{{now}}', installationId: '{{inst}}', driftVersion: '0.9.3' }, fields);
}
const driftPost = (events, pathname = '/v1/events') => ({ method: 'POST', path: pathname, headers: { 'Content-Type': 'application/json' }, json: { events } });
const driftOK = (count) => ({ status: 200, headers: driftCORS, json: { success: true, eventsProcessed: count } });
{
    const events = [driftEvent({ type: '\u00e9-{{run}}' }), driftEvent({ type: 'e\u0301-{{run}}' }), driftEvent({ type: '\u00e9-{{run}}' })];
    const expected = driftAggregates(events.map((e) => ({ type: e.type })));
    writeFixture('drift', '60-cause1-canonically-equivalent-types.json', {
        name: 'types "é" (U+00E9) and "é" (e + U+0301) are two counters, as in a JavaScript object',
        source: 'issue 13 cause 1; drift.md §4',
        let: { inst: '{{uuid}}' },
        request: driftPost(events),
        expect: Object.assign(driftOK(3), { rows: [{ binding: 'DB',
            sql: "SELECT metric, value FROM daily_stats WHERE date = ? AND metric IN (?, ?) ORDER BY metric",
            params: ['{{date: now}}', 'events:\u00e9-{{run}}', 'events:e\u0301-{{run}}'],
            equals: expected.map(([metric, value]) => ({ metric, value })).sort((a, b) => Buffer.compare(Buffer.from(a.metric), Buffer.from(b.metric))) }] }),
    });
}
{
    const events = [driftEvent({ type: 'lone-{{run}}', note: '\ud800', nested: { '\udc00': 'x' } }), driftEvent({ type: '\udc00-{{run}}' })];
    writeFixture('drift', '61-cause2-lone-surrogates.json', {
        name: 'a lone surrogate in the payload is stored as its \\ud800 escape; in a type it names a counter (D1 text: U+FFFD)',
        source: 'issue 13 cause 2; drift.md §3 step 5',
        let: { inst: '{{uuid}}' },
        request: driftPost(events),
        expect: Object.assign(driftOK(2), { rows: [
            { binding: 'DB', sql: "SELECT payload FROM events WHERE installation_id = ? AND type = ?", params: ['{{inst}}', 'lone-{{run}}'],
                equals: [{ payload: JSON.stringify({ note: '\ud800', nested: { '\udc00': 'x' } }) }] },
            { binding: 'DB', sql: 'SELECT value FROM daily_stats WHERE date = ? AND metric = ?', params: ['{{date: now}}', 'events:\ufffd-{{run}}'], equals: [{ value: 1 }] },
        ] }),
    });
}
{
    const deep = '['.repeat(600) + ']'.repeat(600);
    writeFixture('drift', '62-cause3-deep-payload-600-levels.json', {
        name: 'an event field nested 600 levels deep is stored in payload (200)',
        source: 'issue 13 cause 3',
        let: { inst: '{{uuid}}' },
        request: { method: 'POST', path: '/v1/events', headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ events: [driftEvent({ deep: '@DEEP@' })] }).replace('"@DEEP@"', '{{repeat: 600 "["}}{{repeat: 600 "]"}}') },
        expect: Object.assign(driftOK(1), { rows: [{ binding: 'DB', sql: 'SELECT payload FROM events WHERE installation_id = ?', params: ['{{inst}}'],
            equals: [{ payload: JSON.stringify({ deep: JSON.parse(deep) }) }] }] }),
    });
    writeFixture('drift', '63-cause3-deep-top-level-array.json', {
        name: 'a top-level array nested 100,000 levels deep has no events array (400), not a parse failure',
        source: 'issue 13 cause 3',
        request: { method: 'POST', path: '/v1/events', headers: { 'Content-Type': 'application/json' }, body: '{{repeat: 100000 "["}}{{repeat: 100000 "]"}}' },
        expect: { status: 400, headers: driftCORS, json: { error: 'Invalid request: events array required' } },
    });
}
{
    const paths = [['64', '/v1/x/../events', 'a .. segment', 'dot-dot-segment'], ['65', '/v1/./events', 'a . segment', 'dot-segment'],
        ['66', '/v1/x/%2e%2E/events', 'a percent-encoded .. segment', 'percent-encoded-dot-dot'], ['67', '/v1\\events', 'a backslash', 'backslash']];
    for (const [number, pathname, label, slug] of paths) {
        const url = new URL(pathname, 'http://127.0.0.1:8787');
        writeFixture('drift', `${number}-cause5-path-${slug}.json`, {
            name: `POST ${pathname} (${label}) has pathname ${url.pathname} and reaches the events handler`,
            source: 'issue 13 cause 5 (new URL(request.url).pathname)',
            let: { inst: '{{uuid}}' },
            request: driftPost([driftEvent({})], pathname),
            expect: driftOK(1),
        });
    }
    writeFixture('drift', '68-cause5-get-health-via-dot-segments.json', {
        name: 'GET /v1/stats/../health has pathname /v1/health',
        source: 'issue 13 cause 5',
        request: { method: 'GET', path: '/v1/stats/../health' },
        expect: { status: 200, headers: driftCORS, json: { status: 'healthy', timestamp: '{{iso}}' } },
    });
}
{
    writeFixture('drift', '69-cause6-infinity-type.json', {
        name: '"type": 1e400 is Infinity: the counter is events:Infinity (String(Infinity))',
        source: 'issue 13 cause 6',
        let: { inst: '{{uuid}}' },
        request: { method: 'POST', path: '/v1/events', headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ events: [driftEvent({ type: '@INF@' })] }).replace('"@INF@"', '1e400') },
        expect: Object.assign(driftOK(1), { rows: [
            { binding: 'DB', sql: 'SELECT value FROM daily_stats WHERE date = ? AND metric = ?', params: ['{{date: now}}', `events:${String(JSON.parse('1e400'))}`], equals: [{ value: 1 }] },
        ] }),
    });
    const members = ['toString', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];
    const events = members.map((type) => driftEvent({ type }))
        .concat([driftEvent({ type: 'pattern_signature', language: 'isPrototypeOf', category: '__proto__' })]);
    const aggregates = driftAggregates(events.map((e) => ({ type: e.type, language: e.language, category: e.category })));
    const metrics = ['events:toString', 'events:constructor', 'events:__proto__', 'events:hasOwnProperty', 'events:valueOf', 'language:isPrototypeOf', 'category:__proto__'];
    writeFixture('drift', '70-cause6-object-prototype-counters.json', {
        name: 'types and languages named after Object.prototype members count like upstream\'s plain-object counters',
        source: 'issue 13 cause 6; drift.md §4 (counts kept in plain objects)',
        let: { inst: '{{uuid}}' },
        request: driftPost(events),
        expect: Object.assign(driftOK(events.length), { rows: [{ binding: 'DB',
            sql: `SELECT metric, value FROM daily_stats WHERE date = ? AND metric IN (${metrics.map(() => '?').join(', ')}) ORDER BY metric`,
            params: ['{{date: now}}'].concat(metrics),
            equals: aggregates.filter(([metric]) => metrics.includes(metric)).map(([metric, value]) => ({ metric, value }))
                .sort((a, b) => Buffer.compare(Buffer.from(a.metric), Buffer.from(b.metric))) }] }),
    });
    writeFixture('drift', '71-cause6-byte-array-type.json', {
        name: 'a type [1.5, 255.9] binds as a BLOB like workerd (0 <= b < 256) and counts as events:1.5,255.9',
        source: 'issue 13 cause 6; platform.md 1.3',
        let: { inst: '{{uuid}}' },
        request: driftPost([driftEvent({ type: [1.5, 255.9] })]),
        expect: Object.assign(driftOK(1), { rows: [
            { binding: 'DB', sql: 'SELECT hex(type) AS t FROM events WHERE installation_id = ?', params: ['{{inst}}'],
                equals: [{ t: Buffer.from(Uint8Array.from([1.5, 255.9])).toString('hex').toUpperCase() }] },
            { binding: 'DB', sql: 'SELECT value FROM daily_stats WHERE date = ? AND metric = ?', params: ['{{date: now}}', `events:${String([1.5, 255.9])}`], equals: [{ value: 1 }] },
        ] }),
    });
}

// MARK: Runt: Ed25519 signatures over JSON.stringify(events) with the test key (seed 32 x 0x07)

{
    const seed = Buffer.alloc(32, 7);
    const privateKey = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
        format: 'der', type: 'pkcs8' });
    const publicKey = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');
    const eventSets = [
        '[{"event_type":"auto_launch","data":{"runtime":"python","success":true,"prewarmed":true,"duration_ms":150},"timestamp":"2024-02-16T12:00:00Z"}]',
        '[{"event_type":"contract_unicode_keys","data":{"\u00e9":1,"e\u0301":2},"timestamp":"2024-03-01T00:00:00Z"}]',
        '[{"event_type":"contract_lone_\\ud800","data":{"note":"\\udc00"},"timestamp":"2024-03-01T00:01:00Z"}]',
        '[{"event_type":"x","data":{"2":1,"1":2,"b":3,"a":4,"1e400":1e400,"big":123456789012345678901234,"f":1.50,"neg":-0}}]',
        '[{"event_type":"deep","data":' + '['.repeat(600) + ']'.repeat(600) + '}]',
    ];
    write(`${vectors}/runt-signatures.json`, {
        publicKey,
        cases: eventSets.map((text) => {
            const message = JSON.stringify(JSON.parse(text));
            return { events: text, message, signature: crypto.sign(null, Buffer.from(message, 'utf8'), privateKey).toString('hex') };
        }),
    });
}
