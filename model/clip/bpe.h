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

typedef struct clip_bpe_tok clip_bpe_tok;

/* NULL with "FILE: message" (merges.txt: "FILE:LINE: message") in err. */
clip_bpe_tok *clip_bpe_load(const char *vocab_json, const char *merges_txt, char *err, size_t errlen);
void clip_bpe_free(clip_bpe_tok *t);
int32_t clip_bpe_bos(const clip_bpe_tok *t);        /* id of <|startoftext|> */
int32_t clip_bpe_eos(const clip_bpe_tok *t);        /* id of <|endoftext|> (also unknown symbols) */
int32_t clip_bpe_vocab_size(const clip_bpe_tok *t); /* largest id + 1 */

/* ftfy.fix_text's deterministic fixes (bpe.c lists them), malloc'ed UTF-8. */
char *clip_bpe_fix_text(const char *text);
/* The cleaned text (ftfy's fixes, unescaped, whitespace collapsed, lower-cased), as
 * malloc'ed UTF-8; invalid UTF-8 input bytes become U+FFFD. */
char *clip_bpe_clean(const char *text);
/* Token ids of text: start, BPE tokens, end; at most max_len ids (the last
 * kept one is replaced by the end token when the text is too long). Returns
 * the count. max_len >= 2. */
int clip_bpe_encode(const clip_bpe_tok *t, const char *text, int32_t *ids, int max_len);
/* All BPE ids without the added start and end tokens and without
 * truncation (<|startoftext|> and <|endoftext|> written in the text still
 * give theirs): malloc'ed array, count in *n. */
int32_t *clip_bpe_encode_all(const clip_bpe_tok *t, const char *text, size_t *n);

/* A vocabulary learned from texts[n] in CLIP's layout, for a model trained
 * from scratch: the texts cleaned and split as clip_bpe_encode does, the
 * most frequent adjacent pair of symbols merged (ties: the pair whose
 * symbols sort first) until the vocabulary has vocab_size ids or no pair
 * is seen twice; written to vocab_json (the 256 byte symbols, the same with
 * </w>, the merged symbols, <|startoftext|>, <|endoftext|>) and merges_txt,
 * each atomically. The vocabulary's size (at most vocab_size, at least
 * 514), or -1 with "FILE: message" in err. */
int clip_bpe_learn(char *const *texts, size_t n, int vocab_size, const char *vocab_json, const char *merges_txt,
		   char *err, size_t errlen);

#endif
