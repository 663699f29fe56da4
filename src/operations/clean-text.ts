/**
 * Whether free text from an agent or a person may be recorded and shown: no C0/C1 controls, no
 * invisible format characters (bidi overrides that disguise text to the next reader), no lone
 * UTF-16 surrogates. NUL is a control: refused here, it can never reach a column, where
 * PostgreSQL's text type could not hold it
 * (https://www.postgresql.org/docs/current/datatype-character.html).
 */

/** C0/C1 controls and invisible format characters (bidi overrides that disguise text). */
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
/** Free text may keep line breaks and tabs, nothing else invisible. */
const CONTROL_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/u;
/** Half of a UTF-16 pair on its own: not text, and not storable as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `s` holds half of a UTF-16 pair on its own. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

export function isCleanText(s: string, allowLineBreaks = false): boolean {
  return !(allowLineBreaks ? CONTROL_EXCEPT_WHITESPACE : CONTROL_OR_FORMAT).test(s) && !LONE_SURROGATE.test(s);
}
