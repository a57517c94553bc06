#include "addon/js-args.h"

#include "addon/errors.h"

namespace {

// "a string", "null", "an array", "a Float32Array": what the value is, for the message.
std::string describe(const Napi::Value & v) {
    if (v.IsNull()) return "null";
    if (v.IsUndefined()) return "undefined";
    if (v.IsArray()) return "an array";
    if (v.IsTypedArray()) {
        switch (v.As<Napi::TypedArray>().TypedArrayType()) {
            case napi_int8_array: return "an Int8Array";
            case napi_uint8_array: return "a Uint8Array";
            case napi_uint8_clamped_array: return "a Uint8ClampedArray";
            case napi_int16_array: return "an Int16Array";
            case napi_uint16_array: return "a Uint16Array";
            case napi_int32_array: return "an Int32Array";
            case napi_uint32_array: return "a Uint32Array";
            case napi_float32_array: return "a Float32Array";
            case napi_float64_array: return "a Float64Array";
            default: return "a typed array";
        }
    }
    switch (v.Type()) {
        case napi_boolean: return "a boolean";
        case napi_number: return "a number";
        case napi_string: return "a string";
        case napi_symbol: return "a symbol";
        case napi_function: return "a function";
        case napi_bigint: return "a bigint";
        default: return "an object";
    }
}

bool is_typed_array(const Napi::Value & v, napi_typedarray_type type) {
    return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == type;
}

} // namespace

Napi::Error iit_js_type_error(const Napi::Value & v, const std::string & name, const char * expected) {
    return iit_error(v.Env(), "INVALID_ARGUMENT", name + " must be " + expected + ", not " + describe(v));
}

std::string iit_js_element(const std::string & name, uint32_t i) {
    return name + "[" + std::to_string(i) + "]";
}

Napi::Number iit_js_number(const Napi::Value & v, const std::string & name) {
    if (!v.IsNumber()) throw iit_js_type_error(v, name, "a number");
    return v.As<Napi::Number>();
}

std::string iit_js_string(const Napi::Value & v, const std::string & name) {
    if (!v.IsString()) throw iit_js_type_error(v, name, "a string");
    return v.As<Napi::String>().Utf8Value();
}

Napi::Array iit_js_array(const Napi::Value & v, const std::string & name) {
    if (!v.IsArray()) throw iit_js_type_error(v, name, "an array");
    return v.As<Napi::Array>();
}

Napi::Int32Array iit_js_int32_array(const Napi::Value & v, const std::string & name) {
    if (!is_typed_array(v, napi_int32_array)) throw iit_js_type_error(v, name, "an Int32Array");
    return v.As<Napi::Int32Array>();
}

Napi::Float32Array iit_js_float32_array(const Napi::Value & v, const std::string & name) {
    if (!is_typed_array(v, napi_float32_array)) throw iit_js_type_error(v, name, "a Float32Array");
    return v.As<Napi::Float32Array>();
}

std::vector<std::string> iit_js_strings(const Napi::Value & v, const std::string & name) {
    Napi::Array              arr = iit_js_array(v, name);
    std::vector<std::string> out;
    for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(iit_js_string(arr.Get(i), iit_js_element(name, i)));
    return out;
}

Napi::Function iit_js_optional_function(const Napi::Value & v, const std::string & name) {
    if (v.IsNull() || v.IsUndefined()) return Napi::Function();
    if (!v.IsFunction()) throw iit_js_type_error(v, name, "a function or null");
    return v.As<Napi::Function>();
}

Napi::Int32Array iit_js_abort_flag(const Napi::Value & v, const std::string & name) {
    Napi::Int32Array flag = iit_js_int32_array(v, name);
    if (flag.ElementLength() == 0) throw iit_error(v.Env(), "INVALID_ARGUMENT", name + " must hold at least one flag");
    return flag;
}

void * iit_js_unwrap(const Napi::Value & v, const Napi::FunctionReference & cls, const std::string & name,
                     const char * cls_name) {
    const std::string expected = std::string("an ") + cls_name;
    if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(cls.Value()))
        throw iit_js_type_error(v, name, expected.c_str());
    void * native = nullptr;
    // An object made from the class's prototype without its constructor has nothing wrapped.
    if (napi_unwrap(v.Env(), v, &native) != napi_ok || !native) throw iit_js_type_error(v, name, expected.c_str());
    return native;
}

IitJsObject::IitJsObject(const Napi::Value & v, std::string name) : name_(std::move(name)) {
    if (!v.IsObject() || v.IsArray() || v.IsFunction()) throw iit_js_type_error(v, name_, "an object");
    obj_ = v.As<Napi::Object>();
}

bool IitJsObject::has(const char * key) const {
    Napi::Value v = get(key);
    return !v.IsUndefined() && !v.IsNull();
}
