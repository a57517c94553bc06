// Writing a GGUF so that a full disk is an error, never a truncated file that looks saved: gguf's writer
// does not check the file's final flush, and llama_model_save_to_file returns nothing, so the written
// file is read back (its header and the size its tensors need).
#pragma once

#include <functional>
#include <string>

// Messages of a device with no room left (ENOSPC, EDQUOT, EFBIG) start with this; the addon gives them the code DISK_FULL.
inline constexpr const char * IIT_DISK_FULL = "disk full: ";

// "" when `write` (which returns false on a failure it saw) left a complete GGUF at `path`; else why not.
std::string iit_write_gguf_checked(const std::string & path, const std::function<bool()> & write);
