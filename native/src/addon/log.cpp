#include "addon/log.h"

#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace {
std::mutex  g_mutex;
std::string g_errors;
int         g_level = GGML_LOG_LEVEL_NONE + 100; // nothing printed

void on_log(ggml_log_level level, const char * text, void *) {
    if (level == GGML_LOG_LEVEL_ERROR) {
        std::lock_guard<std::mutex> lock(g_mutex);
        std::string                 line(text);
        while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
        if (!line.empty() && g_errors.size() < 4096) g_errors += (g_errors.empty() ? "" : "; ") + line;
    }
    if (level != GGML_LOG_LEVEL_CONT && (int) level >= g_level)
        std::fputs(text, stderr);
    else if (level == GGML_LOG_LEVEL_CONT && g_level <= GGML_LOG_LEVEL_INFO)
        std::fputs(text, stderr);
}
} // namespace

void iit_log_init() {
    const char * env = std::getenv("IIT_LOG");
    if (env && !std::strcmp(env, "debug"))
        g_level = GGML_LOG_LEVEL_DEBUG;
    else if (env && !std::strcmp(env, "info"))
        g_level = GGML_LOG_LEVEL_INFO;
    else if (env && !std::strcmp(env, "warn"))
        g_level = GGML_LOG_LEVEL_WARN;
    llama_log_set(on_log, nullptr);
}

void iit_log_clear_errors() {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_errors.clear();
}

std::string iit_log_take_errors() {
    std::lock_guard<std::mutex> lock(g_mutex);
    std::string                 out;
    out.swap(g_errors);
    return out;
}
