/**
 * What a cell looks like, for the sniffer's type score: a cell "types" when it is empty or matches a
 * known kind of value (CleverCSV's type score, Van den Burg et al. 2019). A candidate dialect that cuts
 * records in the wrong places leaves cells that match nothing (`2;3`, `"b`), so well-typed cells are the
 * evidence that the dialect is right.
 */

const NUMBER = /^[-+]?[$€£¥]?(?:\d{1,3}(?:[,' ]\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?%?$/;
const DECIMAL_COMMA = /^[-+]?\d+(?:\.\d{3})*,\d+%?$/;
const DATE =
  /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const TIME = /^\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[aApP][mM])?$/;
const SPECIAL = /^(?:true|false|yes|no|y|n|na|n\/a|null|none|nan|-|--|\?)$/i;
const URL = /^(?:https?|ftp):\/\/[^\s"']+$/;
const EMAIL = /^[^@\s"',;]+@[^@\s"',;]+\.[a-z]{2,}$/i;
/** Words: letters, digits and the punctuation of names and titles, none of the candidate delimiters. */
const WORDS = /^[\p{L}\p{N}\p{M}_ .\-/()&#+:!?'’]+$/u;

/** The cell is empty or a value of a known kind (a decimal comma only when `decimalComma` allows it). */
export function cellTypes(cell: string, decimalComma: boolean): boolean {
  const text = cell.trim();
  if (text === '') return true;
  if (NUMBER.test(text) && /\d/.test(text)) return true;
  if (decimalComma && DECIMAL_COMMA.test(text)) return true;
  return (
    DATE.test(text) ||
    TIME.test(text) ||
    SPECIAL.test(text) ||
    URL.test(text) ||
    EMAIL.test(text) ||
    WORDS.test(text)
  );
}

/** A number, date or time: the kinds of value that tell a data row from a header row of names. */
export function isValueLike(cell: string, decimalComma: boolean): boolean {
  const text = cell.trim();
  if (text === '') return false;
  return (
    (NUMBER.test(text) && /\d/.test(text)) ||
    (decimalComma && DECIMAL_COMMA.test(text)) ||
    DATE.test(text) ||
    TIME.test(text)
  );
}

/** A decimal-comma number (`3,5`): evidence for `;` files, counted only when the sample has several. */
export function isDecimalComma(cell: string): boolean {
  return DECIMAL_COMMA.test(cell.trim());
}
