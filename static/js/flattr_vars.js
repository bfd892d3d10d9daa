/* Flattr's first button (2010): the page sets script variables, then includes the script,
 * and the button appears where that script tag stands:
 *
 *   <script type="text/javascript">
 *     var flattr_uid = 'USER'; var flattr_tle = 'Title'; var flattr_dsc = 'Description';
 *     var flattr_cat = 'text'; var flattr_lng = 'en_GB'; var flattr_tag = 'a,b';
 *     var flattr_url = 'https://example.org/post'; var flattr_btn = 'compact';
 *   </script>
 *   <script src="https://flattr.example/api/flattr.js" type="text/javascript"></script>
 *
 * Served after load.js in the same file (/api/flattr.js), so it draws through FlattrLoader.
 * Each include reads the variables as they are when it runs, so a page may set them again
 * before each button. Nothing escapes into the host page.
 */
(function (window, document) {
  "use strict";
  try {
    var script = document.currentScript;
    if (!script || !window.FlattrLoader) { return; }
    var read = function (name) {
      var value = window[name];
      return value === undefined || value === null ? "" : String(value);
    };
    var here = window.location.href.split("#")[0];
    var url = read("flattr_url") || here;
    window.FlattrLoader.render({
      uid: read("flattr_uid"),
      url: url,
      title: read("flattr_tle") || (url === here ? document.title : ""),
      description: read("flattr_dsc"),
      category: read("flattr_cat"),
      language: read("flattr_lng") || read("flattr_lang"),
      tags: read("flattr_tag") || read("flattr_tags"),
      button: read("flattr_btn") || read("flattr_button"),
      hidden: read("flattr_hide") || read("flattr_hidden")
    }, script, "before");
  } catch (error) {
    try { window.console.warn("Flattr:", error); } catch (ignored) { /* nothing */ }
  }
}(window, document));
