import {
  MISSING_TEXT,
  baseInstance,
  displayName,
  formatCount,
  formatFraction,
  formatGuid,
  formatNs,
  formatPlace,
  isExactGuid,
  parseInstance,
  sameGuid
} from '../src/model';

describe('formatNs', () => {
  it.each([
    [0, '0 ns'],
    [1, '1 ns'],
    [850, '850 ns'],
    [999, '999 ns'],
    [999.4, '999 ns'],
    [999.7, '1.00 µs'],
    [1000, '1.00 µs'],
    [12_345, '12.3 µs'],
    [999_999, '1.00 ms'],
    [4_561_234, '4.56 ms'],
    [1_234_567_890, '1.23 s'],
    [999_600_000_000, '1,000 s'],
    [12_345_600_000_000, '12,346 s'],
    [0.5, '0.5 ns'],
    [0.1234, '0.123 ns']
  ])('%p ns → %p', (ns, text) => {
    expect(formatNs(ns)).toBe(text);
  });

  it('keeps the sign of differences', () => {
    expect(formatNs(-850)).toBe('-850 ns');
    expect(formatNs(-12_345)).toBe('-12.3 µs');
    expect(formatNs(-4_561_234)).toBe('-4.56 ms');
    expect(formatNs(-0)).toBe('0 ns');
  });

  it('never prints NaN or Infinity as numbers', () => {
    expect(formatNs(Number.NaN)).toBe(MISSING_TEXT);
    expect(formatNs(null)).toBe(MISSING_TEXT);
    expect(formatNs(undefined)).toBe(MISSING_TEXT);
    expect(formatNs(Infinity)).toBe('∞');
    expect(formatNs(-Infinity)).toBe('-∞');
  });

  it('gives three significant digits and a unit for every magnitude', () => {
    for (let exponent = 0; exponent < 15; exponent++) {
      for (const mantissa of [1, 1.5, 2.25, 5, 9.99, 9.995]) {
        const text = formatNs(mantissa * 10 ** exponent);
        expect(text).toMatch(/^[\d.,]+ (ns|µs|ms|s)$/);
        const number = Number(text.split(' ')[0].replace(/,/g, ''));
        if (!text.endsWith(' s') || number < 1000) {
          expect(number).toBeLessThan(1000);
        }
      }
    }
  });
});

describe('formatCount and formatFraction', () => {
  it('groups thousands independent of locale', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(formatCount(-1_234_567)).toBe('-1,234,567');
    expect(formatCount(12.6)).toBe('13');
    expect(formatCount(Number.NaN)).toBe(MISSING_TEXT);
    expect(formatCount(Infinity)).toBe('∞');
    expect(formatCount(1e22)).toBe('1e+22');
  });

  it('shows fractions as percentages', () => {
    expect(formatFraction(0)).toBe('0.0 %');
    expect(formatFraction(0.4567)).toBe('45.7 %');
    expect(formatFraction(1, 0)).toBe('100 %');
    expect(formatFraction(null)).toBe(MISSING_TEXT);
    expect(formatFraction(Number.NaN)).toBe(MISSING_TEXT);
  });
});

describe('instance names', () => {
  it('parses the name$line$col tag and chunks', () => {
    expect(parseInstance('dot$12$15')).toEqual({ name: 'dot', line: 12, col: 15, suffix: null });
    expect(parseInstance('dot$12$15#chunk')).toEqual({
      name: 'dot',
      line: 12,
      col: 15,
      suffix: 'chunk'
    });
    expect(parseInstance('dot')).toEqual({ name: 'dot', line: null, col: null, suffix: null });
    expect(parseInstance('weird$x$1')).toEqual({ name: 'weird', line: null, col: null, suffix: null });
    expect(parseInstance('$1$2')).toEqual({ name: '$1$2', line: 1, col: 2, suffix: null });
  });

  it('formats places', () => {
    expect(formatPlace('dot$12$15')).toBe('dot at 12:15');
    expect(formatPlace('dot$12$15#chunk')).toBe('dot#chunk at 12:15');
    expect(formatPlace('glm_gradient$3$4')).toBe('glm_gradient at 3:4');
    expect(formatPlace('dot')).toBe('dot');
    expect(formatPlace('')).toBe('');
  });

  it('derives display names and base instances as the server does', () => {
    expect(displayName('dot$12$15')).toBe('dot');
    expect(displayName('dot$12$15#chunk')).toBe('dot#chunk');
    expect(displayName('dot')).toBe('dot');
    expect(baseInstance('dot$12$15#chunk')).toBe('dot$12$15');
    expect(baseInstance('dot$12$15')).toBe('dot$12$15');
  });
});

describe('GUIDs', () => {
  it('keeps 64-bit GUIDs sent as text exact', () => {
    const big = '18446744073709551615'; // 2^64 - 1
    expect(formatGuid(big)).toBe(big);
    expect(formatGuid(' 0042 ')).toBe('42');
    expect(formatGuid('0')).toBe('0');
    expect(isExactGuid(big)).toBe(true);
  });

  it('prints numbers without exponent or grouping', () => {
    expect(formatGuid(42)).toBe('42');
    expect(formatGuid(0)).toBe('0');
    expect(formatGuid(2 ** 53 - 1)).toBe('9007199254740991');
    expect(formatGuid(2 ** 64)).toBe('18446744073709551616');
    expect(formatGuid(1e20)).toBe('100000000000000000000');
    expect(formatGuid(1e21)).toBe('1e+21');
    expect(isExactGuid(2 ** 53 - 1)).toBe(true);
    expect(isExactGuid(2 ** 53 + 2)).toBe(false);
  });

  it('passes anything else through as text', () => {
    expect(formatGuid(Number.NaN)).toBe('NaN');
    expect(formatGuid(1.5)).toBe('1.5');
    expect(formatGuid('abc')).toBe('abc');
  });

  it('compares GUIDs as text, across number and string forms', () => {
    expect(sameGuid(42, '42')).toBe(true);
    expect(sameGuid('042', 42)).toBe(true);
    expect(sameGuid('18446744073709551615', '18446744073709551614')).toBe(false);
  });
});
