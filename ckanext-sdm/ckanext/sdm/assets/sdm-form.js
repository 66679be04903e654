/* Groups the dataset form into the schema's sections and shows a field only
 * while its show_if holds (e.g. the open conditions only for conditional
 * openness).  The layout comes from schemas/ through h.sdm_form_layout(). */
ckan.module('sdm-form', function ($) {
  'use strict';

  /* A field's form groups, with the help block that follows one outside it
   * (the bilingual snippets give one help text for all their inputs). */
  function containersOf(form, name) {
    var groups = form.find('[name="' + name + '"], [name^="' + name + '-"], [name^="' + name + '__"]').closest('.form-group');
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

/* The fee editor's rows (form_snippets/sdm_fee_items.html): "add" appends a
 * blank row numbered after the last, "remove" drops a row (the last one is
 * only emptied).  The server drops blank rows, so nothing else is needed. */
ckan.module('sdm-rows', function ($) {
  'use strict';

  function blank(row, index) {
    row.find('input').each(function () {
      this.name = this.name.replace(/__\d+__/, '__' + index + '__');
      this.value = /__currency$/.test(this.name) ? 'CNY' : '';
    });
    return row;
  }

  return {
    initialize: function () {
      var body = this.el.find('tbody');
      this.el.on('click', '.sdm-row-add', function () {
        var rows = body.children('.sdm-row');
        var last = rows.last();
        var index = parseInt((last.find('input').attr('name').match(/__(\d+)__/) || [0, rows.length - 1])[1], 10) + 1;
        blank(last.clone(), index).appendTo(body).find('input').first().focus();
      });
      this.el.on('click', '.sdm-row-remove', function () {
        var row = $(this).closest('.sdm-row');
        if (body.children('.sdm-row').length > 1) { row.remove(); } else { blank(row, 0); }
      });
    }
  };
});

/* A searchable list of checkboxes (form_snippets/sdm_codes_picker.html):
 * typing keeps the choices whose code or label (either language) holds
 * every word typed; checked choices always stay in view. */
ckan.module('sdm-picker', function ($) {
  'use strict';

  return {
    initialize: function () {
      var el = this.el;
      var labels = el.find('.sdm-picker-choices label');
      el.on('input', '.sdm-picker-search', function () {
        var words = $.trim(this.value.toLowerCase()).split(/\s+/);
        var shown = 0;
        labels.each(function () {
          var label = $(this);
          var text = label.data('search') + '';
          var match = label.find('input').is(':checked') || $.grep(words, function (w) { return text.indexOf(w) < 0; }).length === 0;
          label.toggle(match);
          if (match) { shown += 1; }
        });
        el.find('.sdm-picker-none').prop('hidden', shown > 0);
      });
    }
  };
});
