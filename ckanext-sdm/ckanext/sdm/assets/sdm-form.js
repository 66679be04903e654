/* Groups the dataset form into the schema's sections and shows a field only
 * while its show_if holds (e.g. the open conditions only for conditional
 * openness).  The layout comes from schemas/ through h.sdm_form_layout(). */
ckan.module('sdm-form', function ($) {
  'use strict';

  /* A field's form groups, with the help block that follows one outside it
   * (the bilingual snippets give one help text for all their inputs). */
  function containersOf(form, name) {
    var groups = form.find('[name="' + name + '"], [name^="' + name + '-"]').closest('.form-group');
    return groups.add(groups.last().next('.info-block'));
  }

  function valueOf(form, name) {
    var input = form.find('[name="' + name + '"]');
    if (input.is(':radio')) { return input.filter(':checked').val(); }
    return input.val();
  }

  return {
    initialize: function () {
      var form = this.el;
      var layout = this.options.layout;
      var sections = {};

      $.each(layout.sections, function (_, section) {
        var fieldset = $('<fieldset class="sdm-section"></fieldset>').attr('id', 'sdm-section-' + section.name);
        fieldset.append($('<legend></legend>').text(section.label));
        sections[section.name] = fieldset;
        form.append(fieldset);
      });
      $.each(layout.fields, function (name, field) {
        if (sections[field.section]) { containersOf(form, name).appendTo(sections[field.section]); }
      });
      $.each(sections, function (_, fieldset) {
        if (fieldset.children('.form-group').length === 0) { fieldset.remove(); }
      });

      function refresh() {
        $.each(layout.fields, function (name, field) {
          var applies = true;
          $.each(field.show_if, function (other, codes) {
            if ($.inArray(valueOf(form, other), codes) < 0) { applies = false; }
          });
          containersOf(form, name).toggle(applies);
        });
      }
      form.on('change', 'select, input', refresh);
      refresh();
    }
  };
});
