#include "addon/engine-args.h"

#include "addon/errors.h"

std::vector<std::vector<llama_token>> iit_js_token_seqs(const Napi::Value & v, const std::string & name,
                                                        int32_t n_vocab, const char * what) {
    Napi::Array                           arr = iit_js_array(v, name);
    std::vector<std::vector<llama_token>> out;
    for (uint32_t i = 0; i < arr.Length(); i++) {
        Napi::Int32Array a = iit_js_int32_array(arr.Get(i), iit_js_element(name, i));
        out.emplace_back(a.Data(), a.Data() + a.ElementLength());
        for (llama_token t : out.back()) {
            if (t < 0 || t >= n_vocab) {
                throw iit_error(v.Env(), "INVALID_TOKEN",
                                std::string(what) + " " + std::to_string(i) + " has token id " + std::to_string(t) +
                                    " outside the vocabulary");
            }
        }
    }
    return out;
}

iit_lora_set iit_js_lora_set(const Napi::Value & v, const std::string & name,
                             const std::vector<llama_adapter_lora *> & loaded) {
    Napi::Array  arr = iit_js_array(v, name);
    iit_lora_set set;
    for (uint32_t i = 0; i < arr.Length(); i++) {
        IitJsObject l(arr.Get(i), iit_js_element(name, i));
        uint32_t    idx = l.uint32("index");
        if (idx >= loaded.size())
            throw iit_error(v.Env(), "INVALID_ARGUMENT", "no LoRA adapter with index " + std::to_string(idx));
        set.adapters.push_back(loaded[idx]);
        set.scales.push_back(l.f32("scale"));
    }
    return set;
}

iit_rules_params iit_js_rules(const Napi::Value & v, const std::string & name, const llama_vocab * vocab) {
    IitJsObject      r(v, name);
    iit_rules_params p;
    IitJsObject      eos = r.object("eos");
    p.eos_enabled        = eos.flag("enabled");
    p.eos_slope          = eos.f32("slope");
    p.eos_start          = eos.int32("start");
    p.eos_end            = eos.int32("end");
    p.eos_mode           = eos.string("after") == "hold" ? IIT_RULES_EOS_MODE_HOLD : IIT_RULES_EOS_MODE_RESET;
    p.eos_hard_after     = eos.get("hardStopAfter").IsNumber() ? eos.int32("hardStopAfter") : -1;
    p.eos_hard_score     = eos.f32("hardStopScore");
    Napi::Array eos_ids  = r.array("eosIds");
    for (uint32_t i = 0; i < eos_ids.Length(); i++)
        p.eos_ids.push_back(iit_js_number(eos_ids.Get(i), iit_js_element(r.field("eosIds"), i)).Int32Value());
    IitJsObject rep = r.object("repetition");
    p.rep_enabled   = rep.flag("enabled");
    p.rep_score     = rep.f32("penalty");
    p.rep_scope = rep.string("scope") == "response" ? IIT_RULES_REP_SCOPE_RESPONSE : IIT_RULES_REP_SCOPE_AFTER_USER_TAG;
    Napi::Int32Array tag = r.int32_array("userTag");
    p.user_tag.assign(tag.Data(), tag.Data() + tag.ElementLength());
    IitJsObject fixed  = r.object("tokens");
    p.fixed_enabled    = fixed.flag("enabled");
    Napi::Array ids    = fixed.array("ids");
    Napi::Array scores = fixed.array("scores");
    if (ids.Length() != scores.Length())
        throw iit_error(v.Env(), "RULES_INVALID", "rules.tokens: ids and scores differ in length");
    for (uint32_t i = 0; i < ids.Length(); i++) {
        p.fixed.push_back({ iit_js_number(ids.Get(i), iit_js_element(fixed.field("ids"), i)).Int32Value(),
                            iit_js_number(scores.Get(i), iit_js_element(fixed.field("scores"), i)).FloatValue() });
    }
    p.start_enabled       = r.object("start").flag("enabled");
    const std::string err = iit_rules_params_check(vocab, p);
    if (!err.empty()) throw iit_error(v.Env(), "RULES_INVALID", err);
    return p;
}
