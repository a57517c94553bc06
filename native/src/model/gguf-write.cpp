#include "model/gguf-write.h"

#include "model/gguf-check.h"

#include <cerrno>
#include <cstring>

std::string iit_write_gguf_checked(const std::string & path, const std::function<bool()> & write) {
    errno                    = 0;
    const bool           ok  = write();
    const int            err = errno; // of the failing write or close, when one failed
    const iit_gguf_check chk = iit_gguf_check_file(path);
    if (ok && chk.code.empty()) return "";
    std::string what = "cannot write " + path;
    if (err != 0) what += ": " + std::string(std::strerror(err));
    if (chk.need > chk.size)
        what += " (it needs " + std::to_string(chk.need) + " bytes, " + std::to_string(chk.size) + " were written)";
    const bool full = err == ENOSPC || err == EFBIG
#ifdef EDQUOT
                      || err == EDQUOT
#endif
        ;
    return full ? IIT_DISK_FULL + what : what;
}
