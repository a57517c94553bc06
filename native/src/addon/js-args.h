// Values from JavaScript, each type-checked before its cast: a wrong type is an INVALID_ARGUMENT error that
// names the value ("generate: opts.sampling.topK must be a number, not a string"), never an abort in N-API
// or a read of one type's memory as another's.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

// The error for `v`, named `name`, not being `expected` ("a number", "an Int32Array", …).
Napi::Error iit_js_type_error(const Napi::Value & v, const std::string & name, const char * expected);

Napi::Number             iit_js_number(const Napi::Value & v, const std::string & name);
std::string              iit_js_string(const Napi::Value & v, const std::string & name);
Napi::Array              iit_js_array(const Napi::Value & v, const std::string & name);
Napi::Int32Array         iit_js_int32_array(const Napi::Value & v, const std::string & name);
Napi::Float32Array       iit_js_float32_array(const Napi::Value & v, const std::string & name);
std::vector<std::string> iit_js_strings(const Napi::Value & v, const std::string & name);
// A callback that may be absent: null or undefined give an empty function.
Napi::Function iit_js_optional_function(const Napi::Value & v, const std::string & name);
// An abort flag: an Int32Array of at least one element (native loops read element 0).
Napi::Int32Array iit_js_abort_flag(const Napi::Value & v, const std::string & name);
// The native instance behind an object of class `cls` (an addon class); anything else, another class's
// instance included (unwrapping it would reinterpret that class's memory), is INVALID_ARGUMENT.
void * iit_js_unwrap(const Napi::Value & v, const Napi::FunctionReference & cls, const std::string & name,
                     const char * cls_name);

// A JS object read field by field; `name` says where it came from ("generate: opts").
class IitJsObject {
public:
    IitJsObject(const Napi::Value & v, std::string name);

    std::string field(const char * key) const { return name_ + "." + key; }
    Napi::Value get(const char * key) const { return obj_.Get(key); }
    bool        has(const char * key) const;                                  // present, and neither undefined nor null
    bool        flag(const char * key) const { return get(key).ToBoolean(); } // JS truthiness: any type

    Napi::Number             number(const char * key) const { return iit_js_number(get(key), field(key)); }
    int32_t                  int32(const char * key) const { return number(key).Int32Value(); }
    uint32_t                 uint32(const char * key) const { return number(key).Uint32Value(); }
    float                    f32(const char * key) const { return number(key).FloatValue(); }
    std::string              string(const char * key) const { return iit_js_string(get(key), field(key)); }
    IitJsObject              object(const char * key) const { return IitJsObject(get(key), field(key)); }
    Napi::Array              array(const char * key) const { return iit_js_array(get(key), field(key)); }
    Napi::Int32Array         int32_array(const char * key) const { return iit_js_int32_array(get(key), field(key)); }
    std::vector<std::string> strings(const char * key) const { return iit_js_strings(get(key), field(key)); }

private:
    Napi::Object obj_;
    std::string  name_;
};

// "name[i]"
std::string iit_js_element(const std::string & name, uint32_t i);
