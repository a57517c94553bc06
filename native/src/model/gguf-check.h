// Checks a file before llama.cpp sees it, so bad input is an error instead of an abort.
#pragma once

#include <cstdint>
#include <string>

struct iit_gguf_check {
    std::string
        code; // "" when the file is fine, else NOT_FOUND | NOT_GGUF | GGUF_CORRUPT | GGUF_TRUNCATED | GGUF_HPARAMS_INVALID
    std::string message;
    std::string arch;     // general.architecture
    std::string type;     // general.type ("model" when absent, "adapter" for LoRA files)
    uint64_t    need = 0; // bytes the header and tensors need, when the header could be read
    uint64_t    size = 0; // bytes the file has
};

iit_gguf_check iit_gguf_check_file(const std::string & path);
