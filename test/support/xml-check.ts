/**
 * A strict well-formedness check for the XML this project writes (JUnit): one root, every element closed in
 * order, attributes quoted and unique, only the five predefined entities and numeric references, no raw `<` or `&`
 * in text or attributes, no character XML 1.0 forbids. Returns the elements' names in document order (opening
 * tags only), for counting. Throws with the offset of the first problem. Not a general parser: no DTD, no CDATA.
 */
const NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;

function checkText(text: string, at: number): void {
  if (FORBIDDEN.test(text)) throw new Error(`forbidden character near offset ${at}`);
  if (text.includes('<')) throw new Error(`raw '<' near offset ${at}`);
  for (const m of text.matchAll(/&([^;]*);?/g)) {
    if (!/^(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+)$/.test(m[1]!) || !m[0].endsWith(';'))
      throw new Error(`bad entity '${m[0].slice(0, 12)}' near offset ${at + m.index}`);
  }
}

export function checkWellFormed(doc: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  let i = 0;
  let rootSeen = false;
  if (doc.startsWith('<?xml')) {
    const end = doc.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const text = doc.slice(i, lt < 0 ? doc.length : lt);
    if (open.length === 0 && text.trim() !== '') throw new Error(`text outside the root near offset ${i}`);
    checkText(text, i);
    if (lt < 0) break;
    const gt = doc.indexOf('>', lt);
    if (gt < 0) throw new Error(`unterminated tag at offset ${lt}`);
    const tag = doc.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      if (open.pop() !== name) throw new Error(`</${name}> does not close the open element at offset ${lt}`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^(\S+)(.*)$/s.exec(body);
    if (!m || !NAME.test(m[1]!)) throw new Error(`bad element name at offset ${lt}`);
    if (open.length === 0) {
      if (rootSeen) throw new Error(`a second root element at offset ${lt}`);
      rootSeen = true;
    }
    // Attributes: name="value" pairs separated by whitespace, nothing else.
    const attrs = m[2]!;
    const seen = new Set<string>();
    const re = /\s+([A-Za-z_][A-Za-z0-9_.:-]*)="([^"]*)"/gy;
    let pos = 0;
    for (;;) {
      re.lastIndex = pos;
      const a = re.exec(attrs);
      if (!a) break;
      if (seen.has(a[1]!)) throw new Error(`attribute ${a[1]} twice at offset ${lt}`);
      seen.add(a[1]!);
      checkText(a[2]!, lt);
      pos = re.lastIndex;
    }
    if (attrs.slice(pos).trim() !== '')
      throw new Error(`bad attributes at offset ${lt}: ${attrs.slice(pos, pos + 40)}`);
    names.push(m[1]!);
    if (!selfClosing) open.push(m[1]!);
  }
  if (open.length > 0) throw new Error(`unclosed elements: ${open.join(' > ')}`);
  if (!rootSeen) throw new Error('no root element');
  return names;
}
