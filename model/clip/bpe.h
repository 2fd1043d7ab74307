/* bpe.h: CLIP's tokenizer, exactly: text cleaning (the table-driven fixes
 * of ftfy.fix_text, then HTML unescape twice as Python's html.unescape,
 * whitespace collapsed and stripped, full Unicode lower-casing via
 * libunistring), the split pattern
 * <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
 * with real Unicode classes, byte-level symbols with </w> on a word's last,
 * merges applied lowest rank first (a hash map of pair -> rank), start and
 * end tokens from vocab.json, truncation keeping the end token. ftfy's
 * mojibake repair (its fix_encoding heuristic) is not applied; see
 * vlsnr-embed(1). */
#ifndef VMIND_BPE_H
#define VMIND_BPE_H

#include <stddef.h>
#include <stdint.h>

typedef struct bpe_tok bpe_tok;

/* NULL with "FILE: message" in err. */
bpe_tok *bpe_load(const char *vocab_json, const char *merges_txt, char *err, size_t errlen);
void bpe_free(bpe_tok *t);
int32_t bpe_bos(const bpe_tok *t);      /* id of <|startoftext|> */
int32_t bpe_eos(const bpe_tok *t);      /* id of <|endoftext|> (also unknown symbols) */
int32_t bpe_vocab_size(const bpe_tok *t); /* largest id + 1 */

/* ftfy.fix_text's deterministic fixes (bpe.c lists them), malloc'ed UTF-8. */
char *bpe_fix_text(const char *text);
/* The cleaned text (ftfy's fixes, unescaped, whitespace collapsed, lower-cased), as
 * malloc'ed UTF-8; invalid UTF-8 input bytes become U+FFFD. */
char *bpe_clean(const char *text);
/* Token ids of text: start, BPE tokens, end; at most max_len ids (the last
 * kept one is replaced by the end token when the text is too long). Returns
 * the count. max_len >= 2. */
int bpe_encode(const bpe_tok *t, const char *text, int32_t *ids, int max_len);
/* All BPE ids without start/end and without truncation: malloc'ed array,
 * count in *n. */
int32_t *bpe_encode_all(const bpe_tok *t, const char *text, size_t *n);

#endif
