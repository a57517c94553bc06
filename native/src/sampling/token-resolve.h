// Token text -> token id, the same on every vocabulary type. Pure llama.cpp (no N-API).
//
// The rule adapter's fixed scores are written as token *text* (" I", "!", "\n", "   ") so that one
// preset works on any model. A text resolves to the single vocabulary entry whose rendered piece is
// exactly that text:
//
//   - "rendered piece" = llama_token_to_piece(vocab, id, buf, len, /* lstrip */ 0, /* special */ false):
//     SentencePiece pieces have U+2581 "▁" turned into a space and byte tokens (<0x0A>) turned into
//     their byte; byte-level BPE pieces ("Ġ", "Ċ") are decoded to bytes. The same text therefore
//     finds "▁I" on Llama-2 and "ĠI" on Llama-3. Control and unknown tokens render empty with
//     special = false and never match;
//   - several entries can render the same text: SentencePiece keeps a byte-fallback token for every
//     byte (Llama-2: "<" is both 29966 "<" and 63 "<0x3C>"). Normal and user-defined entries win over
//     byte tokens; among entries of the same kind the lowest id wins;
//   - no match (or an empty text) gives -1 (LLAMA_TOKEN_NULL): the text is not one token of this
//     vocabulary, and the caller must report it rather than guess a multi-token split.
//
// Texts are compared byte for byte (UTF-8, no normalisation, no trimming).
#pragma once

#include "llama.h"

#include <string>
#include <vector>

// The id whose rendered piece is exactly `text`, or -1. One pass over the vocabulary.
llama_token iit_token_resolve(const llama_vocab * vocab, const std::string & text);

// Resolves every text in one pass over the vocabulary; result[i] is the id for texts[i] or -1.
std::vector<llama_token> iit_token_resolve_many(const llama_vocab * vocab, const std::vector<std::string> & texts);

// The rendered piece of one token (special = false: control/unknown tokens give "").
std::string iit_token_render(const llama_vocab * vocab, llama_token id);
