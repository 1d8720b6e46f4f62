// erlen's API docs page: reads an OpenAPI 3.1 document and shows it.
//
// Plain browser JavaScript, no framework and nothing fetched but the
// document and the requests the reader sends. Every string from the
// document reaches the page through textContent or setAttribute, never
// through innerHTML, so a document cannot inject markup or script.
(function () {
  "use strict";

  var METHODS = ["get", "put", "post", "patch", "delete", "head", "options", "trace"];
  var PARAMETER_PLACES = ["path", "query", "header", "cookie"];
  var MAX_DEPTH = 8; // nesting shown before a schema is cut short
  var MAX_BODY_CHARS = 200000; // response text shown before it is cut short

  var config = JSON.parse(document.getElementById("erlen-docs-config").textContent);
  var root = document.getElementById("erlen-docs");
  var nav = document.getElementById("erlen-docs-nav");
  var spec = null;
  var basePath = "";

  // ----- building the page -----

  // Make an element; attributes are set one by one, children added as
  // text nodes (strings) or elements. Nothing is parsed as HTML.
  function el(tag, attributes) {
    var node = document.createElement(tag);
    if (attributes) {
      Object.keys(attributes).forEach(function (name) {
        var value = attributes[name];
        if (value === null || value === undefined || value === false) return;
        node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    append.apply(null, [node].concat(Array.prototype.slice.call(arguments, 2)));
    return node;
  }

  // Add children to a node: strings as text, arrays flattened, null skipped.
  function append(node) {
    for (var i = 1; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) {
        child.forEach(function (each) { append(node, each); });
      } else if (typeof child === "object") {
        node.appendChild(child);
      } else {
        node.appendChild(document.createTextNode(String(child)));
      }
    }
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // Text written in the document (CommonMark there) is shown as plain
  // text, paragraph by paragraph.
  function prose(text, className) {
    if (typeof text !== "string" || !text.trim()) return null;
    return el("div", { "class": className || "prose" },
      text.trim().split(/\n\s*\n/).map(function (paragraph) { return el("p", null, paragraph); }));
  }

  // A link only for http(s) addresses: "javascript:" and the like stay text.
  function safeLink(url, text) {
    try {
      var parsed = new URL(url, window.location.href);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") {
        return el("a", { href: parsed.href, rel: "noopener noreferrer" }, text || url);
      }
    } catch (error) { /* not a URL: shown as text */ }
    return el("span", null, text || url);
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function slug(text) {
    return String(text).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "x";
  }

  // An id for a tag's section or an operation: readable, and unique on the page.
  var usedIds = {};
  function uniqueId(base) {
    var id = base;
    for (var n = 2; usedIds[id]; n++) id = base + "-" + n;
    usedIds[id] = true;
    return id;
  }

  // ----- $ref -----

  // Follow a local reference ("#/components/schemas/Item"); JSON Pointer
  // escapes (~1, ~0) and percent-encoding are undone.
  function lookup(ref) {
    if (typeof ref !== "string" || ref.charAt(0) !== "#") return undefined;
    var node = spec;
    var parts = ref.slice(1).split("/").slice(1);
    for (var i = 0; i < parts.length; i++) {
      var key;
      try {
        key = decodeURIComponent(parts[i]);
      } catch (error) {
        key = parts[i];
      }
      key = key.replace(/~1/g, "/").replace(/~0/g, "~");
      if (!isObject(node) && !Array.isArray(node)) return undefined;
      node = node[key];
    }
    return node;
  }

  function refName(ref) {
    var parts = String(ref).split("/");
    return parts[parts.length - 1].replace(/~1/g, "/").replace(/~0/g, "~");
  }

  // Parameters, bodies and responses may themselves be references.
  function deref(value) {
    var seen = 0;
    while (isObject(value) && typeof value.$ref === "string" && seen < 20) {
      var found = lookup(value.$ref);
      if (found === undefined) return value;
      value = found;
      seen += 1;
    }
    return value;
  }

  // ----- schemas -----

  function typesOf(schema) {
    if (Array.isArray(schema.type)) return schema.type.slice();
    if (typeof schema.type === "string") {
      return schema.nullable === true ? [schema.type, "null"] : [schema.type];
    }
    return [];
  }

  // anyOf/oneOf of one schema and {"type": "null"}: an optional value.
  function nullableUnion(schema) {
    var choices = schema.anyOf || schema.oneOf;
    if (!Array.isArray(choices) || choices.length !== 2) return null;
    var isNull = function (s) { return isObject(s) && (s.type === "null" || s.const === null); };
    if (isNull(choices[0]) && !isNull(choices[1])) return choices[1];
    if (isNull(choices[1]) && !isNull(choices[0])) return choices[0];
    return null;
  }

  // A short label for a schema: "integer", "Item", "array of string",
  // "string (date) | null".
  function typeLabel(schema, depth) {
    depth = depth || 0;
    if (!isObject(schema)) return schema === false ? "nothing" : "any";
    if (depth > 4) return "…";
    if (typeof schema.$ref === "string") return refName(schema.$ref);
    var inner = nullableUnion(schema);
    if (inner) return typeLabel(inner, depth + 1) + " | null";
    if (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) {
      return (schema.oneOf || schema.anyOf).map(function (s) { return typeLabel(s, depth + 1); }).join(" | ");
    }
    if (Array.isArray(schema.allOf)) {
      return schema.allOf.map(function (s) { return typeLabel(s, depth + 1); }).join(" & ");
    }
    if ("const" in schema) return JSON.stringify(schema.const);
    var types = typesOf(schema);
    if (!types.length) {
      if (isObject(schema.properties)) types = ["object"];
      else if (schema.items) types = ["array"];
      else if (Array.isArray(schema.enum)) {
        return schema.enum.length <= 6 ? schema.enum.map(function (v) { return JSON.stringify(v); }).join(" | ") : "enum";
      }
    }
    if (!types.length) return schema.title || "any";
    return types.map(function (type) {
      if (type === "array") {
        return schema.items ? "array of " + typeLabel(schema.items, depth + 1) : "array";
      }
      if (type === "string" && schema.format) return "string (" + schema.format + ")";
      if ((type === "integer" || type === "number") && schema.format) return type + " (" + schema.format + ")";
      if (type === "object" && schema.title) return schema.title;
      return type;
    }).join(" | ");
  }

  var FACTS = [
    ["default", "default"], ["minimum", "≥"], ["exclusiveMinimum", ">"], ["maximum", "≤"],
    ["exclusiveMaximum", "<"], ["multipleOf", "multiple of"], ["minLength", "min length"],
    ["maxLength", "max length"], ["pattern", "pattern"], ["minItems", "min items"],
    ["maxItems", "max items"], ["uniqueItems", "unique items"], ["minProperties", "min properties"],
    ["maxProperties", "max properties"], ["contentMediaType", "media type"], ["example", "example"]
  ];

  // The constraints of one schema, as small labelled chips.
  function facts(schema) {
    var chips = [];
    FACTS.forEach(function (fact) {
      if (fact[0] in schema) {
        var value = schema[fact[0]];
        chips.push(el("span", { "class": "fact" }, fact[1] + " " +
          (typeof value === "string" && fact[0] !== "default" && fact[0] !== "example" ? value : JSON.stringify(value))));
      }
    });
    if (Array.isArray(schema.examples) && schema.examples.length) {
      chips.push(el("span", { "class": "fact" }, "example " + JSON.stringify(schema.examples[0])));
    }
    if (schema.readOnly) chips.push(el("span", { "class": "fact" }, "read-only"));
    if (schema.writeOnly) chips.push(el("span", { "class": "fact" }, "write-only"));
    if (schema.deprecated) chips.push(el("span", { "class": "fact deprecated" }, "deprecated"));
    if (Array.isArray(schema.enum) && (typesOf(schema).length || schema.enum.length > 6)) {
      chips.push(el("span", { "class": "fact" }, "one of: " +
        schema.enum.map(function (v) { return JSON.stringify(v); }).join(", ")));
    }
    return chips.length ? el("span", { "class": "facts" }, chips) : null;
  }

  // Whether a schema holds more than its label says (shown nested).
  function hasParts(schema) {
    if (!isObject(schema)) return false;
    if (typeof schema.$ref === "string" || isObject(schema.properties) || Array.isArray(schema.prefixItems)) return true;
    if (schema.oneOf || schema.anyOf || schema.allOf) return true;
    return isObject(schema.items) && hasParts(schema.items);
  }

  // A schema shown in full: its type, its constraints, and below them
  // what it holds (properties, items, alternatives), nested.
  // ``stack`` holds the references being shown, so a recursive schema
  // stops at its second appearance.
  function schemaView(schema, depth, stack) {
    depth = depth || 0;
    stack = stack || [];
    var box = el("div", { "class": "schema" });
    if (!isObject(schema)) {
      append(box, el("span", { "class": "type" }, typeLabel(schema)));
      return box;
    }
    var name = null;
    while (typeof schema.$ref === "string") {
      if (stack.indexOf(schema.$ref) !== -1) {
        append(box, el("span", { "class": "type" }, refName(schema.$ref)), " ",
          el("span", { "class": "note" }, "(recursive: as above)"));
        return box;
      }
      var target = lookup(schema.$ref);
      if (!isObject(target)) {
        append(box, el("span", { "class": "type" }, refName(schema.$ref)), " ",
          el("span", { "class": "note" }, "(not found in the document: " + schema.$ref + ")"));
        return box;
      }
      stack = stack.concat([schema.$ref]);
      name = name || refName(schema.$ref);
      schema = target;
    }
    var label = typeLabel(schema);
    append(box, el("span", { "class": "type" }, name && name !== label ? name + ": " + label : label));
    append(box, " ", facts(schema));
    if (schema.title && schema.title !== name && schema.title !== label) {
      append(box, " ", el("span", { "class": "note" }, schema.title));
    }
    append(box, prose(schema.description, "prose small"));
    if (depth >= MAX_DEPTH) {
      append(box, el("div", { "class": "note" }, "(nested too deep to show)"));
      return box;
    }
    var inner = nullableUnion(schema);
    if (inner) {
      if (hasParts(inner)) {
        append(box, schemaView(inner, depth + 1, stack));
      } else {
        append(box, " ", facts(inner), prose(inner.description, "prose small"));
      }
      return box;
    }
    [["oneOf", "exactly one of"], ["anyOf", "any of"], ["allOf", "all of"]].forEach(function (kind) {
      if (Array.isArray(schema[kind[0]])) {
        append(box, el("div", { "class": "combinator" }, kind[1] + ":",
          el("ol", null, schema[kind[0]].map(function (choice) {
            return el("li", null, schemaView(choice, depth + 1, stack));
          }))));
      }
    });
    if (isObject(schema.discriminator) && schema.discriminator.propertyName) {
      append(box, el("div", { "class": "note" }, "told apart by the property " + schema.discriminator.propertyName));
    }
    if (isObject(schema.properties)) {
      var required = Array.isArray(schema.required) ? schema.required : [];
      append(box, el("ul", { "class": "properties" }, Object.keys(schema.properties).map(function (key) {
        var isRequired = required.indexOf(key) !== -1;
        return el("li", null,
          el("code", { "class": "property" }, key),
          isRequired ? el("span", { "class": "required", title: "required" }, " required") : el("span", { "class": "optional" }, " optional"),
          schemaView(schema.properties[key], depth + 1, stack));
      })));
    }
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== true) {
      if (schema.additionalProperties === false) {
        append(box, el("div", { "class": "note" }, "no other properties"));
      } else {
        append(box, el("div", { "class": "combinator" }, "other properties:",
          schemaView(schema.additionalProperties, depth + 1, stack)));
      }
    }
    if (Array.isArray(schema.prefixItems)) {
      append(box, el("div", { "class": "combinator" }, "items, in order:",
        el("ol", null, schema.prefixItems.map(function (item) {
          return el("li", null, schemaView(item, depth + 1, stack));
        }))));
    }
    if (hasParts(schema.items)) {
      append(box, el("div", { "class": "combinator" }, "each item:", schemaView(schema.items, depth + 1, stack)));
    }
    return box;
  }

  // ----- examples -----

  var STRING_FORMATS = {
    "date-time": "2024-01-31T12:00:00Z", date: "2024-01-31", time: "12:00:00",
    email: "user@example.com", uuid: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    uri: "https://example.com/", hostname: "example.com", ipv4: "192.0.2.1", ipv6: "2001:db8::1"
  };

  // A value that fits the schema: its example, default or const if it has
  // one, else one made from its type.
  function exampleFor(schema, depth, stack) {
    depth = depth || 0;
    stack = stack || [];
    if (!isObject(schema) || depth > MAX_DEPTH) return null;
    if (typeof schema.$ref === "string") {
      if (stack.indexOf(schema.$ref) !== -1) return null;
      return exampleFor(lookup(schema.$ref), depth + 1, stack.concat([schema.$ref]));
    }
    if ("example" in schema) return schema.example;
    if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
    if ("default" in schema) return schema.default;
    if ("const" in schema) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
    var inner = nullableUnion(schema);
    if (inner) return exampleFor(inner, depth + 1, stack);
    var choices = schema.oneOf || schema.anyOf;
    if (Array.isArray(choices) && choices.length) return exampleFor(choices[0], depth + 1, stack);
    if (Array.isArray(schema.allOf)) {
      var merged = {};
      schema.allOf.forEach(function (part) {
        var value = exampleFor(part, depth + 1, stack);
        if (isObject(value)) Object.keys(value).forEach(function (key) { merged[key] = value[key]; });
      });
      return merged;
    }
    var types = typesOf(schema).filter(function (type) { return type !== "null"; });
    var type = types[0] || (schema.properties ? "object" : schema.items ? "array" : null);
    switch (type) {
      case "object":
        var value = {};
        Object.keys(schema.properties || {}).forEach(function (key) {
          value[key] = exampleFor(schema.properties[key], depth + 1, stack);
        });
        return value;
      case "array":
        if (Array.isArray(schema.prefixItems)) {
          return schema.prefixItems.map(function (item) { return exampleFor(item, depth + 1, stack); });
        }
        return schema.items ? [exampleFor(schema.items, depth + 1, stack)] : [];
      case "string":
        return STRING_FORMATS[schema.format] || "string";
      case "integer":
      case "number":
        return typeof schema.minimum === "number" ? schema.minimum : 0;
      case "boolean":
        return false;
      default:
        return null;
    }
  }

  // The value a schema itself gives (example, default, const), if any.
  function declaredValue(schema) {
    schema = deref(schema);
    if (!isObject(schema)) return undefined;
    if ("example" in schema) return schema.example;
    if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
    if ("default" in schema) return schema.default;
    if ("const" in schema) return schema.const;
    return undefined;
  }

  function mediaExample(media) {
    if (!isObject(media)) return undefined;
    if ("example" in media) return media.example;
    if (isObject(media.examples)) {
      var first = Object.keys(media.examples)[0];
      var chosen = first === undefined ? undefined : deref(media.examples[first]);
      if (isObject(chosen) && "value" in chosen) return chosen.value;
    }
    return exampleFor(media.schema);
  }

  // ----- operations -----

  // Every operation, in the document's order, with its path's parameters
  // merged in (an operation's own parameter wins over the path's).
  function operations() {
    var found = [];
    var paths = isObject(spec.paths) ? spec.paths : {};
    Object.keys(paths).forEach(function (path) {
      var item = deref(paths[path]);
      if (!isObject(item)) return;
      METHODS.forEach(function (method) {
        var operation = item[method];
        if (!isObject(operation)) return;
        var byKey = {};
        var order = [];
        [item.parameters, operation.parameters].forEach(function (list) {
          (Array.isArray(list) ? list : []).forEach(function (raw) {
            var parameter = deref(raw);
            if (!isObject(parameter) || !parameter.name) return;
            var key = parameter.in + " " + parameter.name;
            if (!(key in byKey)) order.push(key);
            byKey[key] = parameter;
          });
        });
        found.push({
          path: path,
          method: method,
          operation: operation,
          parameters: order.map(function (key) { return byKey[key]; }),
          id: uniqueId("op-" + method + "-" + slug(operation.operationId || path))
        });
      });
    });
    return found;
  }

  // Tags in the document's order, then the others as first met; an
  // operation is listed under its first tag, or under "default".
  function groupByTag(found) {
    var order = [];
    var groups = {};
    var described = {};
    (Array.isArray(spec.tags) ? spec.tags : []).forEach(function (tag) {
      if (isObject(tag) && tag.name && !(tag.name in groups)) {
        order.push(tag.name);
        groups[tag.name] = [];
        described[tag.name] = tag;
      }
    });
    found.forEach(function (entry) {
      var tags = entry.operation.tags;
      var name = Array.isArray(tags) && tags.length ? String(tags[0]) : "default";
      if (!(name in groups)) {
        order.push(name);
        groups[name] = [];
      }
      groups[name].push(entry);
    });
    return order.filter(function (name) { return groups[name].length; }).map(function (name) {
      return { name: name, tag: described[name] || {}, entries: groups[name] };
    });
  }

  function methodBadge(method) {
    return el("span", { "class": "method method-" + method }, method.toUpperCase());
  }

  function parametersTable(parameters) {
    if (!parameters.length) return null;
    return el("table", { "class": "parameters" },
      el("caption", null, "Parameters"),
      el("thead", null, el("tr", null,
        el("th", { scope: "col" }, "name"), el("th", { scope: "col" }, "in"),
        el("th", { scope: "col" }, "type"), el("th", { scope: "col" }, "required"),
        el("th", { scope: "col" }, "description"))),
      el("tbody", null, parameters.map(function (parameter) {
        var schema = parameter.schema;
        if (!schema && isObject(parameter.content)) {
          var first = Object.keys(parameter.content)[0];
          schema = first && parameter.content[first].schema;
        }
        return el("tr", null,
          el("th", { scope: "row" }, el("code", null, parameter.name),
            parameter.deprecated ? el("span", { "class": "fact deprecated" }, "deprecated") : null),
          el("td", null, parameter.in),
          el("td", null, schemaView(schema || {}, 1)),
          el("td", null, parameter.required || parameter.in === "path" ? "yes" : "no"),
          el("td", null, prose(parameter.description, "prose small")));
      })));
  }

  function contentList(content) {
    if (!isObject(content)) return null;
    return Object.keys(content).map(function (mediaType) {
      var media = content[mediaType] || {};
      return el("div", { "class": "media" },
        el("div", { "class": "media-type" }, el("code", null, mediaType)),
        media.schema ? schemaView(media.schema) : el("div", { "class": "note" }, "no schema given"));
    });
  }

  function requestBodySection(body) {
    body = deref(body);
    if (!isObject(body)) return null;
    return el("section", { "class": "body" },
      el("h4", null, "Request body", body.required ? el("span", { "class": "required" }, " required") : null),
      prose(body.description, "prose small"),
      contentList(body.content));
  }

  function responsesSection(responses) {
    if (!isObject(responses)) return null;
    return el("section", { "class": "responses" },
      el("h4", null, "Responses"),
      el("dl", null, Object.keys(responses).map(function (status) {
        var response = deref(responses[status]);
        if (!isObject(response)) response = {};
        var kind = status.charAt(0);
        return [
          el("dt", { "class": "status status-" + (/[1-5]/.test(kind) ? kind + "xx" : "other") }, status),
          el("dd", null,
            prose(response.description, "prose small"),
            isObject(response.headers) ? el("div", { "class": "note" }, "headers: " + Object.keys(response.headers).join(", ")) : null,
            contentList(response.content))
        ];
      })));
  }

  function operationView(entry) {
    var operation = entry.operation;
    var summary = el("summary", null,
      methodBadge(entry.method), " ",
      el("code", { "class": "path" }, entry.path), " ",
      operation.summary ? el("span", { "class": "summary" }, operation.summary) : null,
      operation.deprecated ? el("span", { "class": "fact deprecated" }, "deprecated") : null);
    var details = el("details", { "class": "operation", id: entry.id, "data-method": entry.method, "data-path": entry.path },
      summary,
      el("div", { "class": "operation-body" },
        operation.operationId ? el("div", { "class": "note" }, "operation ", el("code", null, operation.operationId)) : null,
        prose(operation.description),
        isObject(operation.externalDocs) && operation.externalDocs.url ?
          el("p", null, safeLink(operation.externalDocs.url, operation.externalDocs.description)) : null,
        securityNote(operation),
        parametersTable(entry.parameters),
        requestBodySection(operation.requestBody),
        responsesSection(operation.responses),
        tryItForm(entry)));
    return details;
  }

  function securityNote(operation) {
    var requirements = Array.isArray(operation.security) ? operation.security : spec.security;
    if (!Array.isArray(requirements) || !requirements.length) return null;
    var names = [];
    requirements.forEach(function (requirement) {
      if (isObject(requirement)) names.push(Object.keys(requirement).join(" + ") || "none");
    });
    return el("p", { "class": "note" }, "security: " + names.join(" or "));
  }

  // ----- try it -----

  var formCount = 0;

  function parameterInput(parameter, id) {
    var schema = deref(parameter.schema);
    if (!isObject(schema)) schema = {};
    var inner = nullableUnion(schema);
    if (inner) schema = deref(inner);
    var required = parameter.required || parameter.in === "path";
    var initial = parameter.example !== undefined ? parameter.example :
      schema.example !== undefined ? schema.example : schema.default;
    var types = typesOf(schema);
    var attributes = { id: id, name: parameter.name, "data-in": parameter.in, required: required };
    if (Array.isArray(schema.enum) || types.indexOf("boolean") !== -1) {
      var values = Array.isArray(schema.enum) ? schema.enum : [true, false];
      var select = el("select", attributes, required ? null : el("option", { value: "" }, "(not sent)"),
        values.map(function (value) {
          return el("option", { value: String(value), selected: initial !== undefined && String(initial) === String(value) }, String(value));
        }));
      return select;
    }
    // A text input even for numbers, so a wrong value can be sent to see the answer.
    attributes.type = "text";
    if (types.indexOf("integer") !== -1) attributes.inputmode = "numeric";
    else if (types.indexOf("number") !== -1) attributes.inputmode = "decimal";
    if (types.indexOf("array") !== -1) {
      attributes["data-array"] = "true";
      attributes.placeholder = "values separated by commas";
      if (Array.isArray(initial)) initial = initial.join(",");
    }
    if (initial !== undefined && initial !== null) attributes.value = typeof initial === "object" ? JSON.stringify(initial) : String(initial);
    return el("input", attributes);
  }

  function bodyMediaTypes(operation) {
    var body = deref(operation.requestBody);
    if (!isObject(body) || !isObject(body.content)) return [];
    return Object.keys(body.content).map(function (mediaType) {
      return { type: mediaType, media: body.content[mediaType] || {}, required: !!body.required };
    });
  }

  function isJsonType(mediaType) {
    var base = mediaType.split(";")[0].trim().toLowerCase();
    return base === "application/json" || /\+json$/.test(base);
  }

  function isFormType(mediaType) {
    var base = mediaType.split(";")[0].trim().toLowerCase();
    return base === "application/x-www-form-urlencoded" || base === "multipart/form-data";
  }

  function propertiesOf(schema, stack) {
    schema = deref(schema);
    var found = [];
    if (!isObject(schema)) return found;
    (Array.isArray(schema.allOf) ? schema.allOf : []).forEach(function (part) {
      found = found.concat(propertiesOf(part, stack));
    });
    var required = Array.isArray(schema.required) ? schema.required : [];
    Object.keys(schema.properties || {}).forEach(function (key) {
      found.push({ name: key, schema: deref(schema.properties[key]) || {}, required: required.indexOf(key) !== -1 });
    });
    return found;
  }

  function isFileSchema(schema) {
    if (!isObject(schema)) return false;
    if (schema.format === "binary" || schema.contentMediaType || schema.contentEncoding === "binary") return true;
    return isObject(schema.items) && isFileSchema(deref(schema.items));
  }

  // The editor for one media type: a JSON textarea, form fields, or a
  // plain textarea for anything else.
  function bodyEditor(choice, prefix) {
    var box = el("div", { "class": "body-editor", "data-media-type": choice.type });
    if (isFormType(choice.type)) {
      var multipart = choice.type.indexOf("multipart/") === 0;
      propertiesOf(choice.media.schema).forEach(function (property, index) {
        var id = prefix + "-field-" + index;
        var file = multipart && isFileSchema(property.schema);
        var example = declaredValue(property.schema); // no made-up "string" in a field
        var input = el("input", {
          id: id, name: property.name, "data-field": "true", required: property.required,
          type: file ? "file" : "text", multiple: file && isObject(property.schema.items),
          value: file || example === null || example === undefined ? null :
            typeof example === "object" ? JSON.stringify(example) : String(example)
        });
        append(box, el("div", { "class": "field" },
          el("label", { "for": id }, property.name, property.required ? el("span", { "class": "required" }, " *") : null),
          input, el("span", { "class": "note" }, typeLabel(property.schema))));
      });
      return box;
    }
    var example = mediaExample(choice.media);
    var text = "";
    if (isJsonType(choice.type)) {
      text = example === undefined ? "" : JSON.stringify(example, null, 2);
    } else if (typeof example === "string") {
      text = example;
    }
    var id = prefix + "-body";
    append(box, el("label", { "for": id }, "Body (" + choice.type + ")"),
      el("textarea", { id: id, name: "body", rows: Math.min(16, Math.max(4, text.split("\n").length + 1)), spellcheck: "false", "data-body": "true" }, text));
    return box;
  }

  function tryItForm(entry) {
    formCount += 1;
    var prefix = "try-" + formCount;
    var operation = entry.operation;
    var form = el("form", { "class": "try", novalidate: true, "aria-label": "Try " + entry.method.toUpperCase() + " " + entry.path });
    append(form, el("h4", null, "Try it"));
    var cookies = [];
    entry.parameters.forEach(function (parameter, index) {
      if (parameter.in === "cookie") {
        cookies.push(parameter.name);
        return;
      }
      if (PARAMETER_PLACES.indexOf(parameter.in) === -1) return;
      var id = prefix + "-param-" + index;
      var required = parameter.required || parameter.in === "path";
      append(form, el("div", { "class": "field" },
        el("label", { "for": id }, parameter.name, " ", el("span", { "class": "note" }, "(" + parameter.in + ")"),
          required ? el("span", { "class": "required" }, " *") : null),
        parameterInput(parameter, id)));
    });
    if (cookies.length) {
      append(form, el("p", { "class": "note" }, "Cookies (" + cookies.join(", ") +
        ") are the ones this browser holds for this site; the page cannot set them."));
    }
    var choices = bodyMediaTypes(operation);
    var current = choices.length ? { choice: choices[0] } : null; // the body's media type
    if (choices.length) {
      var holder = el("div", { "class": "body-holder" });
      if (choices.length > 1) {
        var selectId = prefix + "-media";
        var select = el("select", { id: selectId, "class": "media-choice" },
          choices.map(function (choice, index) { return el("option", { value: String(index) }, choice.type); }));
        select.addEventListener("change", function () {
          current.choice = choices[Number(select.value)];
          clear(holder);
          append(holder, bodyEditor(current.choice, prefix));
        });
        append(form, el("div", { "class": "field" }, el("label", { "for": selectId }, "Content type"), select));
      }
      append(holder, bodyEditor(current.choice, prefix));
      append(form, holder);
    }
    var output = el("div", { "class": "result", "aria-live": "polite", role: "region", "aria-label": "Response" });
    append(form, el("div", { "class": "actions" },
      el("button", { type: "submit" }, "Send " + entry.method.toUpperCase() + " request")));
    append(form, output);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(entry, form, output, current);
    });
    return form;
  }

  // The request the form describes, or an error message for the reader.
  function buildRequest(entry, form, current) {
    var path = entry.path;
    var query = new URLSearchParams();
    var headers = new Headers();
    var missing = [];
    Array.prototype.forEach.call(form.querySelectorAll("[data-in]"), function (input) {
      var value = input.value;
      var place = input.getAttribute("data-in");
      if (value === "") {
        if (input.required) missing.push(input.name);
        return;
      }
      if (place === "path") {
        path = path.split("{" + input.name + "}").join(encodeURIComponent(value));
      } else if (place === "query") {
        if (input.getAttribute("data-array")) {
          value.split(",").forEach(function (part) { query.append(input.name, part.trim()); });
        } else {
          query.append(input.name, value);
        }
      } else if (place === "header") {
        headers.append(input.name, value);
      }
    });
    var options = { method: entry.method.toUpperCase(), headers: headers, credentials: "same-origin" };
    if (current) {
      var choice = current.choice;
      var editor = form.querySelector(".body-editor");
      var textarea = editor.querySelector("[data-body]");
      if (textarea) {
        if (textarea.value.trim() !== "") {
          options.body = textarea.value;
          headers.set("Content-Type", choice.type);
        } else if (choice.required) {
          missing.push("request body");
        }
      } else if (choice.type.indexOf("multipart/") === 0) {
        var data = new FormData();
        Array.prototype.forEach.call(editor.querySelectorAll("[data-field]"), function (input) {
          if (input.type === "file") {
            Array.prototype.forEach.call(input.files, function (file) { data.append(input.name, file); });
            if (input.required && !input.files.length) missing.push(input.name);
          } else if (input.value !== "") {
            data.append(input.name, input.value);
          } else if (input.required) {
            missing.push(input.name);
          }
        });
        options.body = data; // the browser writes Content-Type with its boundary
      } else {
        var fields = new URLSearchParams();
        Array.prototype.forEach.call(editor.querySelectorAll("[data-field]"), function (input) {
          if (input.value !== "") fields.append(input.name, input.value);
          else if (input.required) missing.push(input.name);
        });
        options.body = fields;
      }
    }
    if (missing.length) {
      return { error: "Fill in the required " + (missing.length === 1 ? "value" : "values") + " first: " + missing.join(", ") + "." };
    }
    var search = query.toString();
    return { url: basePath + path + (search ? "?" + search : ""), options: options };
  }

  function send(entry, form, output, current) {
    clear(output);
    var built;
    try {
      built = buildRequest(entry, form, current);
    } catch (error) {
      // A header value with a line break, a header name that is not a token...
      built = { error: "The request could not be built: " + error.message };
    }
    if (built.error) {
      append(output, el("p", { "class": "error", role: "alert" }, built.error));
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    append(output, el("p", { "class": "note" }, "Sending " + built.options.method + " " + built.url + " …"));
    fetch(built.url, built.options).then(function (response) {
      return response.arrayBuffer().then(function (buffer) {
        showResponse(output, built, response, buffer);
      });
    }, function (error) {
      clear(output);
      append(output, el("p", { "class": "error", role: "alert" },
        "The request could not be sent (" + error + "). Is the server still running, and at this address?"));
    }).then(function () {
      button.disabled = false;
    });
  }

  function showResponse(output, built, response, buffer) {
    clear(output);
    var contentType = response.headers.get("Content-Type") || "";
    var base = contentType.split(";")[0].trim().toLowerCase();
    var kind = String(response.status).charAt(0);
    append(output, el("p", { "class": "request-line" }, el("code", null, built.options.method + " " + built.url)));
    append(output, el("p", { "class": "status-line status-" + kind + "xx", "data-status": response.status },
      "HTTP " + response.status + (response.statusText ? " " + response.statusText : "")));
    var headerRows = [];
    response.headers.forEach(function (value, name) {
      headerRows.push(el("tr", null, el("th", { scope: "row" }, name), el("td", null, value)));
    });
    append(output, el("details", { "class": "response-headers" },
      el("summary", null, "Headers (" + headerRows.length + ")"),
      el("table", null, el("tbody", null, headerRows))));
    var textual = !base || /^text\//.test(base) || isJsonType(base) || /(xml|javascript|x-www-form-urlencoded)$/.test(base);
    if (!textual) {
      append(output, el("p", { "class": "note" }, buffer.byteLength + " bytes of " + base + " (not shown)"));
      return;
    }
    var text = new TextDecoder("utf-8").decode(buffer);
    var parsed;
    var isJson = false;
    if (isJsonType(base) && text.trim()) {
      try {
        parsed = JSON.parse(text);
        isJson = true;
      } catch (error) { /* shown as text */ }
    }
    if (isJson && base === "application/problem+json" && isObject(parsed)) {
      append(output, problemView(parsed));
    }
    var shown = isJson ? JSON.stringify(parsed, null, 2) : text;
    if (shown.length > MAX_BODY_CHARS) shown = shown.slice(0, MAX_BODY_CHARS) + "\n… (cut: " + text.length + " characters in all)";
    append(output, el("pre", { "class": "response-body", tabindex: "0", "aria-label": "Response body" },
      shown === "" ? "(empty body)" : shown));
  }

  // RFC 9457 problem details: title, detail and each error, before the raw JSON.
  function problemView(problem) {
    var box = el("div", { "class": "problem", role: "alert" },
      el("strong", null, String(problem.title || "Problem")),
      problem.status ? " (" + problem.status + ")" : null,
      problem.detail ? el("p", null, String(problem.detail)) : null);
    if (Array.isArray(problem.errors) && problem.errors.length) {
      var columns = [];
      problem.errors.forEach(function (error) {
        if (isObject(error)) Object.keys(error).forEach(function (key) { if (columns.indexOf(key) === -1) columns.push(key); });
      });
      append(box, el("table", { "class": "problem-errors" },
        el("thead", null, el("tr", null, columns.map(function (key) { return el("th", { scope: "col" }, key); }))),
        el("tbody", null, problem.errors.map(function (error) {
          return el("tr", null, columns.map(function (key) {
            var value = isObject(error) ? error[key] : undefined;
            if (Array.isArray(value)) value = value.join(" → ");
            else if (isObject(value)) value = JSON.stringify(value);
            return el("td", null, value === undefined ? "" : String(value));
          }));
        }))));
    }
    return box;
  }

  // ----- the whole page -----

  function render() {
    clear(root);
    clear(nav);
    var info = isObject(spec.info) ? spec.info : {};
    var infoBox = document.getElementById("erlen-docs-info");
    clear(infoBox);
    append(infoBox,
      info.title ? el("span", { "class": "api-title" }, String(info.title)) : null,
      info.version ? el("span", { "class": "fact" }, "version " + info.version) : null,
      spec.openapi ? el("span", { "class": "fact" }, "OpenAPI " + spec.openapi) : null,
      " ", el("a", { href: config.openapiUrl }, "the document (JSON)"));
    append(root, prose(info.description));
    var servers = Array.isArray(spec.servers) ? spec.servers : [];
    if (servers.length && isObject(servers[0]) && typeof servers[0].url === "string") {
      try {
        basePath = new URL(servers[0].url, window.location.href).pathname.replace(/\/+$/, "");
      } catch (error) {
        basePath = "";
      }
    }
    var groups = groupByTag(operations());
    if (!groups.length) {
      append(root, el("p", { "class": "note" }, "The document describes no operations."));
      return;
    }
    var navList = el("ul", null);
    groups.forEach(function (group) {
      var groupId = uniqueId("tag-" + slug(group.name));
      var section = el("section", { "class": "tag", id: groupId, "aria-labelledby": groupId + "-heading" },
        el("h2", { id: groupId + "-heading" }, group.name),
        prose(group.tag.description));
      var links = el("ul", null);
      group.entries.forEach(function (entry) {
        append(section, operationView(entry));
        append(links, el("li", null, el("a", { href: "#" + entry.id },
          methodBadge(entry.method), " ", el("span", null, entry.path))));
      });
      append(navList, el("li", null, el("a", { href: "#" + groupId }, group.name), links));
      append(root, section);
    });
    append(nav, el("h2", null, "Operations"), navList);
    openFromHash();
  }

  // A link to an operation opens it.
  function openFromHash() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      target.scrollIntoView();
    }
  }

  function fail(message) {
    clear(root);
    root.setAttribute("data-ready", "error");
    append(root, el("div", { "class": "error", role: "alert" },
      el("p", null, message),
      el("p", null, "The page reads the document from ", safeLink(config.openapiUrl, config.openapiUrl),
        "; open it to see what the server answers.")));
  }

  window.addEventListener("hashchange", openFromHash);
  fetch(config.openapiUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (response) {
    if (!response.ok) {
      fail("The API description could not be loaded: the server answered " + response.status + ".");
      return;
    }
    return response.json().then(function (loaded) {
      if (!isObject(loaded) || !isObject(loaded.paths) && !isObject(loaded.webhooks)) {
        fail("The API description was loaded but is not an OpenAPI document (it has no \"paths\").");
        return;
      }
      spec = loaded;
      render();
      root.setAttribute("data-ready", "true");
    }, function () {
      fail("The API description was loaded but is not JSON.");
    });
  }, function (error) {
    fail("The API description could not be loaded (" + error + ").");
  });
})();
