/**
 * Drops a leading UTF-8 byte-order mark (what Notepad and Excel write): JSON.parse and the line
 * readers would otherwise see U+FEFF as a stray character. Every reader of a user's file applies it.
 */
export const stripBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
