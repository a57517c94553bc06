#include "sampling/token-resolve.h"

#include <cstring>

// rank of a candidate kind: lower wins (see the header)
static int iit_token_resolve_rank(llama_token_attr attr) {
    if (attr & (LLAMA_TOKEN_ATTR_NORMAL | LLAMA_TOKEN_ATTR_USER_DEFINED)) {
        return 0;
    }
    if (attr & LLAMA_TOKEN_ATTR_BYTE) {
        return 1;
    }
    return 2;
}

// renders `id` into `buf` (grown when a piece is longer); returns the piece length
static int32_t iit_token_render_into(const llama_vocab * vocab, llama_token id, std::vector<char> & buf) {
    int32_t n = llama_token_to_piece(vocab, id, buf.data(), (int32_t) buf.size(), 0, false);
    if (n < 0) {
        buf.resize((size_t) -n);
        n = llama_token_to_piece(vocab, id, buf.data(), (int32_t) buf.size(), 0, false);
    }
    return n < 0 ? 0 : n;
}

std::string iit_token_render(const llama_vocab * vocab, llama_token id) {
    if (vocab == nullptr || id < 0 || id >= llama_vocab_n_tokens(vocab)) {
        return "";
    }
    std::vector<char> buf(64);
    const int32_t     n = iit_token_render_into(vocab, id, buf);
    return std::string(buf.data(), (size_t) n);
}

std::vector<llama_token> iit_token_resolve_many(const llama_vocab * vocab, const std::vector<std::string> & texts) {
    std::vector<llama_token> result(texts.size(), LLAMA_TOKEN_NULL);
    if (vocab == nullptr || texts.empty()) {
        return result;
    }

    std::vector<int> best_rank(texts.size(), 3);

    std::vector<char> buf(64);
    const int32_t     n_vocab = llama_vocab_n_tokens(vocab);
    for (llama_token id = 0; id < n_vocab; ++id) {
        const int32_t n = iit_token_render_into(vocab, id, buf);
        if (n == 0) {
            continue;
        }
        for (size_t i = 0; i < texts.size(); ++i) {
            const std::string & text = texts[i];
            if ((size_t) n != text.size() || std::memcmp(buf.data(), text.data(), (size_t) n) != 0) {
                continue;
            }
            // ids ascend, so a later candidate replaces the current one only with a better rank
            const int rank = iit_token_resolve_rank(llama_vocab_get_attr(vocab, id));
            if (rank < best_rank[i]) {
                best_rank[i] = rank;
                result[i]    = id;
            }
        }
    }

    return result;
}

llama_token iit_token_resolve(const llama_vocab * vocab, const std::string & text) {
    return iit_token_resolve_many(vocab, { text })[0];
}
